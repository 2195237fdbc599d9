import Carriers
import Hummingbird
import ReturnsCore

/// `GET /v1/service-points?country=FR`: the carriers and drop-off networks of a country.
struct ServicePointController {
    let runtime: ReturndRuntime

    struct Answer: Encodable {
        struct Service: Encodable {
            var carrier: String
            var carrierName: String
            var service: String
            var networks: [String]
            var description: String
            var handover: String
            var labelSize: String
            var warehouse: String

            enum CodingKeys: String, CodingKey {
                case carrier, service, networks, description, handover, warehouse
                case carrierName = "carrier_name", labelSize = "label_size"
            }
        }
        var country: String
        var services: [Service]
    }

    func addRoutes(to group: RouterGroup<ReturndRequestContext>) {
        group.get("service-points", use: list)
    }

    @Sendable func list(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        _ = try context.require(.marketplace, .kiosk, .scanner, .operator)
        guard let given = try request.queryParameter("country") else {
            throw APIError.badRequest("query parameter country (ISO 3166-1 alpha-2, e.g. FR) is required")
        }
        let country = given.asciiUppercased
        guard country.count == 2, country.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw APIError.badRequest("query parameter country must be an ISO 3166-1 alpha-2 code such as FR, not \(given.quotedInMessage(max: 20))")
        }
        let services = runtime.snapshot.catalog.services(inCountry: country)
        guard !services.isEmpty else {
            throw APIError(.notFound, "country_not_served", ServedCountries.notServedMessage(country))
        }
        return try .json(Answer(country: country, services: services.map {
            .init(carrier: $0.id, carrierName: $0.carrierName, service: $0.serviceName, networks: $0.dropOffNetworks.map(\.rawValue),
                  description: $0.dropOffDescription, handover: $0.handover.rawValue, labelSize: $0.label.size.rawValue,
                  warehouse: $0.warehouse.id)
        }))
    }
}
