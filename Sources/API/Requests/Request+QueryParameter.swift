import Hummingbird

extension Request {
    /// Query parameter `name`, nil when absent, 400 when it is given more than once: a label
    /// asked for with `?format=png&format=zpl` came as the first, and a proxy or cache between
    /// the kiosk and returnd may have read the other, as with a JSON key sent twice.
    func queryParameter(_ name: String) throws(APIError) -> String? {
        let values = uri.queryParameters.getAll(name)
        guard values.count <= 1 else {
            throw .badRequest("query parameter \(name) is given \(values.count) times; send it once")
        }
        return values.first.map { String($0) }
    }
}
