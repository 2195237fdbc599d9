import Foundation

/// DOMAIN.md: once an order's free label is used, the rest of the order goes back in one package
/// under that label, its tracking number written by hand. So one tracking number can name
/// several packages: the labelled parcel first, then the packages reusing its label, oldest
/// first. A kiosk or a scanner that reads the number is given the package that step is
/// waiting for; a QR payload or a return code always names one package exactly.
public enum SharedTrackingNumber {
    public enum Step: Sendable {
        /// A kiosk taking a package over: the first not yet handed over.
        case dropOff
        /// A warehouse scan: the first not yet read at this warehouse (`received` names those
        /// read there; one read only elsewhere, misrouted and sent on, is still awaited here).
        /// The store sends a scanner's retry back to the package it went to the first time.
        case receipt(received: Set<String>)
        /// A warehouse inspection of these items: the package holding them, the first in the
        /// warehouse not yet inspected if several do (a retried verdict finds its package too).
        case inspection(skus: Set<String>)
    }

    /// `packages`: the labelled parcel first, then the packages reusing its label, oldest first.
    /// When no package is waiting for the step, the labelled parcel: a repeat is harmless there.
    /// (Other lookups of a number, `returnctl` and the store's, find the labelled parcel.)
    public static func pick(_ packages: [Parcel], for step: Step) -> Parcel? {
        guard let labelled = packages.first else { return nil }
        guard packages.count > 1 else { return labelled }
        let waiting: Parcel?
        switch step {
        case .dropOff:
            waiting = packages.first { $0.status == .labelIssued }
        case .receipt(let received):
            waiting = packages.first { !$0.status.isFinal && !received.contains($0.id) }
        case .inspection(let skus):
            let holding = packages.filter { p in skus.allSatisfy { sku in p.items.contains { $0.sku == sku } } }
            waiting = holding.first { $0.status == .arrivedAtWarehouse } ?? holding.first
        }
        return waiting ?? labelled
    }
}
