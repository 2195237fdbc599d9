import Carriers
import Foundation
import ReturnsCore

/// Everything printed on one label: the parcel as it is now, its carrier and the signed payload.
public struct LabelContent: Sendable, Hashable {
    public var parcel: Parcel
    public var carrier: CarrierService
    public var qrPayload: String

    public init(parcel: Parcel, carrier: CarrierService, qrPayload: String) {
        self.parcel = parcel
        self.carrier = carrier
        self.qrPayload = qrPayload
    }

    /// Russian Post returns need no printed label: a card with the codes replaces it.
    public var isBarcodeCard: Bool { carrier.handover == .barcodeOnly }
}
