import Foundation

/// How far apart two machines' clocks may be before a time one of them gives is taken as wrong:
/// a warehouse scanner's scan time ahead of returnd's clock or before its parcel was issued, a
/// carrier's event dated after the poll that brought it. Clocks kept by NTP differ by seconds,
/// not minutes. A first guess, one value for all three.
public enum ClockSkew {
    public static let allowed: TimeInterval = 300
}
