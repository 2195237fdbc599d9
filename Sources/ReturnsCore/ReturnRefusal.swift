/// Why a request was refused: a stable machine code and a sentence naming the rule.
public struct ReturnRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidRequest = "invalid_request"
        case returnWindowClosed = "return_window_closed"
        case receivedInFuture = "received_at_in_future"
        case itemNotFreeReturn = "item_not_free_return"
        case itemAlreadyReturned = "item_already_returned"
        case countryNotServed = "country_not_served"
        case idempotencyKeyReused = "idempotency_key_reused"
        case serialRangeExhausted = "tracking_numbers_exhausted"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
