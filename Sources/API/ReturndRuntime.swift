import Carriers
import Disputes
import Foundation
import Labels
import Logging
import ReturnsCore
import Store
import Synchronization
import Tracking

/// What the routes share: the store, the label renderer, and the reloadable parts
/// (carriers, policy, signing keys) swapped as one snapshot.
public final class ReturndRuntime: Sendable {
    public struct Snapshot: Sendable {
        public var catalog: CarrierCatalog
        public var policy: ReturnPolicy
        public var signer: ReturnPayloadSigner
        public var publicBaseURL: String
        /// Seconds from a new label to its first tracking poll.
        public var firstPollDelay: TimeInterval

        public init(catalog: CarrierCatalog, policy: ReturnPolicy, signer: ReturnPayloadSigner, publicBaseURL: String = "", firstPollDelay: TimeInterval = 3600) {
            self.firstPollDelay = firstPollDelay
            self.catalog = catalog
            self.policy = policy
            self.signer = signer
            self.publicBaseURL = publicBaseURL
        }
    }

    /// The parcels by status and country as `ParcelCountsService` last counted them.
    public struct ParcelCounts: Sendable {
        public var counts: [ParcelCount]
        public var countedAt: Date
    }

    public let store: any ReturnStore
    public let renderer: LabelRenderer
    public let logger: Logger
    public let clock: @Sendable () -> Date
    public let metrics: ReturndMetrics
    private let current: Mutex<Snapshot>
    private let drainingFlag = Mutex(false)
    private let lastCount = Mutex<ParcelCounts?>(nil)
    private let notifier = Mutex<DisputeNotifierService?>(nil)
    private let poller = Mutex<TrackingPollerService?>(nil)

    /// nil until the first count after start.
    public var parcelCounts: ParcelCounts? {
        get { lastCount.withLock { $0 } }
        set { lastCount.withLock { $0 = newValue } }
    }

    /// The running dispute notifier, for the status line; nil without a webhook URL.
    public var disputeNotifier: DisputeNotifierService? {
        get { notifier.withLock { $0 } }
        set { notifier.withLock { $0 = newValue } }
    }

    /// The running tracking poller, for the status line; nil when tracking is off.
    public var trackingPoller: TrackingPollerService? {
        get { poller.withLock { $0 } }
        set { poller.withLock { $0 = newValue } }
    }

    /// Set when shutdown begins: `/readyz` answers 503 so load balancers stop sending, while
    /// requests are still served during the drain period.
    public var isDraining: Bool {
        get { drainingFlag.withLock { $0 } }
        set { drainingFlag.withLock { $0 = newValue } }
    }

    public init(store: any ReturnStore, snapshot: Snapshot, logger: Logger, renderer: LabelRenderer = LabelRenderer(), metrics: ReturndMetrics = ReturndMetrics(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.metrics = metrics
        self.renderer = renderer
        self.logger = logger
        self.clock = clock
        current = Mutex(snapshot)
    }

    public var snapshot: Snapshot { current.withLock { $0 } }

    public func replace(_ snapshot: Snapshot) { current.withLock { $0 = snapshot } }

    /// The label content of a parcel: its carrier as configured now and its signed payload.
    public func labelContent(for parcel: Parcel) throws(APIError) -> LabelContent {
        let s = snapshot
        guard let carrier = s.catalog.byID[parcel.carrierID] else {
            throw APIError(.serviceUnavailable, "carrier_unavailable", "carrier \(parcel.carrierID) of parcel \(parcel.id) is not configured")
        }
        return LabelContent(parcel: parcel, carrier: carrier, qrPayload: qrPayload(for: parcel, s))
    }

    func qrPayload(for parcel: Parcel, _ s: Snapshot) -> String {
        s.signer.sign(parcelID: parcel.id, trackingNumber: parcel.trackingNumber, country: parcel.country)
    }
}
