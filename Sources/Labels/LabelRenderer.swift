import DequeModule
import Foundation
import Synchronization

public enum LabelFormat: String, Sendable, CaseIterable {
    case pdf, png, svg, zpl

    public var contentType: String {
        switch self {
        case .pdf: "application/pdf"
        case .png: "image/png"
        case .svg: "image/svg+xml"
        case .zpl: "application/x-zpl"
        }
    }
}

public struct RenderedLabel: Sendable {
    public var format: LabelFormat
    public var bytes: [UInt8]
    public var contentType: String { format.contentType }
}

/// Renders labels and keeps recent ones: a label is immutable per parcel version, so the cache
/// key (parcel, label version, format) never serves stale content.
public final class LabelRenderer: Sendable {
    public struct CacheKey: Hashable, Sendable {
        public var parcelID: String
        public var labelVersion: Int
        public var format: LabelFormat
    }

    private struct Cache {
        var entries: [CacheKey: RenderedLabel] = [:]
        /// Keys oldest first: the cache forgets the labels it made longest ago.
        var order: Deque<CacheKey> = []
        var bytes = 0
    }

    private let cache = Mutex(Cache())
    private let cacheLimitBytes: Int

    public init(cacheLimitBytes: Int = 64 << 20) {
        self.cacheLimitBytes = cacheLimitBytes
    }

    public func render(_ content: LabelContent, format: LabelFormat) throws -> RenderedLabel {
        let key = CacheKey(parcelID: content.parcel.id, labelVersion: content.parcel.labelVersion, format: format)
        if let hit = cache.withLock({ $0.entries[key] }) { return hit }
        let label = try Self.renderUncached(content, format: format)
        // The encoders' buffers grow ahead of their content (the PNG sink reserves 32 KiB for an
        // 11 KB label), so the cache keeps an exact-size copy and counts what it holds in memory:
        // counting bytes alone let a 64 MiB cache hold about three times that.
        guard label.bytes.count <= cacheLimitBytes else { return label }
        let kept = RenderedLabel(format: format, bytes: Self.compacted(label.bytes))
        cache.withLock { c in
            guard c.entries[key] == nil else { return }
            c.entries[key] = kept
            c.order.append(key)
            c.bytes += kept.bytes.capacity
            while c.bytes > cacheLimitBytes, !c.order.isEmpty {
                let old = c.order.removeFirst()
                c.bytes -= c.entries.removeValue(forKey: old)?.bytes.capacity ?? 0
            }
        }
        return kept
    }

    /// What the cache holds in memory now, counting each label's buffer.
    public var cachedBytes: Int { cache.withLock { $0.bytes } }

    /// A copy in a buffer of exactly its size (`Array(bytes)` would share the oversized one).
    static func compacted(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: bytes)
        }
    }

    public static func renderUncached(_ content: LabelContent, format: LabelFormat) throws -> RenderedLabel {
        // A ZPL printer draws the QR code itself: no need to encode it here.
        let layout = try LabelLayout.make(content, qr: format == .zpl ? .byPrinter : .encoded)
        return try draw(layout, format: format, title: "Return label \(content.parcel.trackingNumber)", created: content.parcel.labelIssuedAt)
    }

    /// Draws a finished layout (make it with `qr: .byPrinter` for ZPL). Separate from the layout
    /// so that the benchmark can time the drawing alone, as the Python reference does.
    /// A PDF's title and creation date are `title` and `created` (when the parcel's label version
    /// was issued, so that the label drawn again is the same bytes).
    public static func draw(_ layout: LabelLayout, format: LabelFormat, title: String, created: Date) throws -> RenderedLabel {
        let bytes: [UInt8]
        switch format {
        case .pdf: bytes = try CairoCanvas.pdf(layout, title: title, created: created)
        case .svg: bytes = try CairoCanvas.svg(layout)
        case .png: bytes = try PNGEncoder.encode(try CairoCanvas.bitmap(layout), dpi: layout.dpi)
        case .zpl: bytes = try ZPLRenderer.render(layout)
        }
        return RenderedLabel(format: format, bytes: bytes)
    }
}
