import Foundation

/// Correios SRO Rastro: `GET /srorastro/v1/objetos?codigosObjetos=A&codigosObjetos=B&resultado=T`
/// with a bearer token; `objetos[]` with `codObjeto`, `eventos[]` of `codigo`, `tipo`,
/// `dtHrCriado`, `descricao`, `unidade.endereco.cidade` and `.uf`; an unknown object carries
/// `mensagem` (SRO-020). Status map keys are `codigo/tipo` (BDE/01 delivered), falling back to
/// `codigo`. `dtHrCriado` has no offset: it is the site's local time, read in its state's zone
/// (`tracking.time_zones_by_region`), else in the file's `time_zone`, else São Paulo's.
struct CorreiosRastroAdapter: TrackingAdapter {
    var maxBatch: Int { 20 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        let query = numbers.map { "codigosObjetos=\($0)" }.joined(separator: "&")
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/objetos?\(query)&resultado=T", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        guard status == 200 else { throw httpError(status, "Correios") }
        let json = try JSONBody.object(body)
        guard let objects = json["objetos"]?.objects else { throw .malformed("objetos missing") }
        let saoPaulo = service.tracking.zone(or: TimeZone(identifier: "America/Sao_Paulo")!)
        var results: [String: TrackingResult] = [:]
        // A number whose events cannot be read fails alone: the batch's other numbers are read.
        objects: for object in objects {
            guard let id = JSONBody.string(object["codObjeto"]) else { continue }
            guard let list = object["eventos"]?.objects else {
                let message = JSONBody.string(object["mensagem"]) ?? ""
                results[id] = message.contains("SRO-020") || message.lowercased().contains("não encontrado") ? .notFound : .failed(message)
                continue
            }
            var events: [CarrierEvent] = []
            for e in list {
                let state = JSONBody.string(JSONBody.value(e, "unidade.endereco.uf"))
                let zone = service.tracking.zone(forRegion: state, or: saoPaulo)
                guard let codigo = JSONBody.string(e["codigo"]), let at = CarrierDates.iso(JSONBody.string(e["dtHrCriado"]), zone: zone) else {
                    results[id] = .unreadable("evento without codigo or dtHrCriado")
                    continue objects
                }
                let tipo = JSONBody.string(e["tipo"]) ?? ""
                let code = tipo.isEmpty ? codigo : "\(codigo)/\(tipo)"
                let city = JSONBody.string(JSONBody.value(e, "unidade.endereco.cidade"))
                events.append(CarrierEvent(code: code, description: JSONBody.string(e["descricao"]) ?? code, occurredAt: at, location: city, kind: service.kind(of: code, fallback: codigo)))
            }
            results[id] = .events(events.chronological())
        }
        return results
    }
}
