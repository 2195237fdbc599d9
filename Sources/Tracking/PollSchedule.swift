import Foundation
import ReturnsCore

/// When to ask a carrier again: soon after drop-off, slower while nothing changes.
public struct PollSchedule: Sendable {
    /// A label not yet used: the buyer may still skip the kiosk, so it is checked now and then.
    public var labelIssuedInterval: TimeInterval
    /// A parcel on its way: the base interval...
    public var movingInterval: TimeInterval
    /// ...growing by this factor per poll that brought nothing new...
    public var growth: Double
    /// ...up to this.
    public var maxInterval: TimeInterval
    /// After a failed poll of this parcel.
    public var retryInterval: TimeInterval

    public init(labelIssuedInterval: TimeInterval = 6 * 3600, movingInterval: TimeInterval = 3600, growth: Double = 1.5,
                maxInterval: TimeInterval = 12 * 3600, retryInterval: TimeInterval = 900) {
        self.labelIssuedInterval = labelIssuedInterval
        self.movingInterval = movingInterval
        self.growth = growth
        self.maxInterval = maxInterval
        self.retryInterval = retryInterval
    }

    public func interval(status: ParcelStatus, unchangedPolls: Int, changedNow: Bool, failed: Bool) -> TimeInterval {
        if failed { return retryInterval }
        let base = status == .labelIssued ? labelIssuedInterval : movingInterval
        let quiet = changedNow ? 0 : unchangedPolls + 1
        return min(maxInterval, base * pow(growth, Double(min(quiet, 40))))
    }
}
