import Foundation

extension DisputeEvent {
    /// The payload stored in the outbox and sent to the dispute service: the same bytes as
    /// `JSONEncoder.returnd.encode(self)` (sorted keys, ISO 8601 dates, absent optionals left
    /// out), written by hand. JSONEncoder was 9 % of a warehouse receipt's CPU, and every status
    /// change writes one of these. `DisputeEventJSONTests` compares the two on random events.
    public func jsonText() throws -> String {
        var w = JSONText()
        guard w.event(self) else {
            // A date outside 1583...9999: Foundation prints those its own way.
            return String(decoding: try JSONEncoder.returnd.encode(self), as: UTF8.self)
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

/// Appends JSON the way JSONEncoder.returnd does. Keys are written already in byte order.
private struct JSONText {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1024) }

    mutating func raw(_ s: StaticString) { s.withUTF8Buffer { bytes.append(contentsOf: $0) } }

    /// `"key":`, for a key that needs no escaping.
    mutating func key(_ k: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(k)
        raw("\":")
    }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most values need no escape: copied in one go (byte by byte was half of an event's JSON).
        var s = s
        let plain = s.withUTF8 { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if plain {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x08: raw("\\b")
            case 0x09: raw("\\t")
            case 0x0A: raw("\\n")
            case 0x0C: raw("\\f")
            case 0x0D: raw("\\r")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ n: Int) { bytes.append(contentsOf: String(n).utf8) }

    /// `yyyy-MM-ddTHH:mm:ssZ`; false for a date it leaves to Foundation.
    mutating func date(_ d: Date) -> Bool {
        guard let t = UTCDateTime(flooringToSecond: d) else { return false }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: t.iso8601Text.utf8)
        bytes.append(UInt8(ascii: "\""))
        return true
    }

    mutating func money(_ m: Money) {
        raw("{"); key("amount", first: true); string(m.amount); key("currency"); string(m.currency); raw("}")
    }

    mutating func list<T>(_ items: [T], _ write: (inout JSONText, T) -> Void) {
        raw("[")
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, item)
        }
        raw("]")
    }

    mutating func event(_ e: DisputeEvent) -> Bool {
        raw("{")
        var first = true
        if let amounts = e.acceptedAmounts {
            key("accepted_amounts", first: true); first = false
            list(amounts) { $0.money($1) }
        }
        key("carrier", first: first); string(e.carrier)
        key("dispute_id"); string(e.disputeID)
        key("drop_off_by"); guard date(e.dropOffBy) else { return false }
        key("id"); string(e.id)
        if let inspection = e.inspection {
            key("inspection")
            list(inspection) { w, r in
                w.raw("{")
                var first = true
                if let d = r.disputeID { w.key("dispute_id", first: true); w.string(d); first = false }
                w.key("outcome", first: first); w.string(r.outcome.rawValue)
                if let reason = r.reason { w.key("reason"); w.string(reason) }
                w.key("sku"); w.string(r.sku)
                w.raw("}")
            }
        }
        key("items")
        list(e.items) { w, item in
            w.raw("{")
            w.key("dispute_id", first: true); w.string(item.disputeID)
            w.key("order_id"); w.string(item.orderID)
            w.key("quantity"); w.int(item.quantity)
            w.key("sku"); w.string(item.sku)
            w.key("title"); w.string(item.title)
            w.key("unit_price"); w.money(item.unitPrice)
            w.raw("}")
        }
        if let location = e.location { key("location"); string(location) }
        key("occurred_at"); guard date(e.occurredAt) else { return false }
        key("parcel_id"); string(e.parcelID)
        key("return_code"); string(e.returnCode)
        if let labelled = e.reusesLabelOf { key("reuses_label_of"); string(labelled) }
        if let source = e.source { key("source"); string(source.rawValue) }
        key("status"); string(e.status.rawValue)
        key("tracking_number"); string(e.trackingNumber)
        key("type"); string(e.type.rawValue)
        raw("}")
        return true
    }
}
