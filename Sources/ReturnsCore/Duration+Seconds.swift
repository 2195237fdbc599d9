/// A `Duration` as seconds, for the places that compute with `TimeInterval`s (dates, backoffs).
extension Duration {
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
