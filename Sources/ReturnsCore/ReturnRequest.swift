import Foundation

public struct PostalAddress: Codable, Hashable, Sendable {
    public var lines: [String]
    public var city: String
    public var postalCode: String
    /// ISO 3166-1 alpha-2 ("GB" for the United Kingdom).
    public var country: String

    public init(lines: [String], city: String, postalCode: String, country: String) {
        self.lines = lines
        self.city = city
        self.postalCode = postalCode
        self.country = country
    }

    enum CodingKeys: String, CodingKey {
        case lines, city, country
        case postalCode = "postal_code"
    }
}

public struct Buyer: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var email: String?
    public var address: PostalAddress

    public init(id: String, name: String, email: String? = nil, address: PostalAddress) {
        self.id = id
        self.name = name
        self.email = email
        self.address = address
    }
}

public struct Seller: Codable, Hashable, Sendable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// One line of a return request, as the marketplace describes it.
public struct RequestedItem: Codable, Hashable, Sendable {
    public var sku: String
    public var title: String
    public var quantity: Int
    public var unitPrice: Money
    public var freeReturn: Bool

    public init(sku: String, title: String, quantity: Int, unitPrice: Money, freeReturn: Bool) {
        self.sku = sku
        self.title = title
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.freeReturn = freeReturn
    }

    enum CodingKeys: String, CodingKey {
        case sku, title, quantity
        case unitPrice = "unit_price"
        case freeReturn = "free_return"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sku = try c.decode(String.self, forKey: .sku)
        title = try c.decode(String.self, forKey: .title)
        do {
            quantity = try c.decode(Int.self, forKey: .quantity)
        } catch let error as DecodingError {
            throw error
        } catch {
            // Foundation reports a number that is no Int (1.5, 1e30) as "not valid JSON" with no
            // field at all; the marketplace is told which field and what it takes.
            throw DecodingError.dataCorruptedError(forKey: .quantity, in: c, debugDescription: "must be a whole number, 1 to 999")
        }
        unitPrice = try c.decode(Money.self, forKey: .unitPrice)
        freeReturn = try c.decode(Bool.self, forKey: .freeReturn)
    }
}

/// `POST /v1/returns`: a return of some items of one dispute. Field names are the contract.
public struct ReturnRequest: Codable, Hashable, Sendable {
    public var disputeID: String
    public var orderID: String
    public var receivedAt: Date
    public var reason: String
    public var buyer: Buyer
    public var seller: Seller
    public var items: [RequestedItem]

    public init(
        disputeID: String, orderID: String, receivedAt: Date, reason: String,
        buyer: Buyer, seller: Seller, items: [RequestedItem]
    ) {
        self.disputeID = disputeID
        self.orderID = orderID
        self.receivedAt = receivedAt
        self.reason = reason
        self.buyer = buyer
        self.seller = seller
        self.items = items
    }

    enum CodingKeys: String, CodingKey {
        case reason, buyer, seller, items
        case disputeID = "dispute_id"
        case orderID = "order_id"
        case receivedAt = "received_at"
    }
}
