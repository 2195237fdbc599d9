import Foundation

/// Russian Post tracking, SOAP 1.2 `getOperationHistory` (single access, RTM34): the login and
/// password travel in `AuthorizationHeader` inside the body. The answer's
/// `OperationHistoryData/historyRecord` each carry `OperationParameters/OperType/Id` (1 приём,
/// 2 вручение, 8 обработка…), `OperAttr/Id`, `OperDate` and `AddressParameters/OperationAddress`.
/// The status map keys are `OperType/OperAttr` (`2/1`), falling back to `OperType` (`8`).
struct RussianPostOperationHistoryAdapter: TrackingAdapter {
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var login = "", password = ""
        if case .soapLogin(let l, let p) = auth { (login, password) = (l, p) }
        let envelope = """
            <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:oper="http://russianpost.org/operationhistory" \
            xmlns:data="http://russianpost.org/operationhistory/data" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\
            <soap:Header/><soap:Body><oper:getOperationHistory><data:OperationHistoryRequest>\
            <data:Barcode>\(XMLText.escape(numbers[0]))</data:Barcode><data:MessageType>0</data:MessageType><data:Language>RUS</data:Language>\
            </data:OperationHistoryRequest><data:AuthorizationHeader soapenv:mustUnderstand="1">\
            <data:login>\(XMLText.escape(login))</data:login><data:password>\(XMLText.escape(password))</data:password>\
            </data:AuthorizationHeader></oper:getOperationHistory></soap:Body></soap:Envelope>
            """
        return TrackingHTTPRequest(method: "POST", url: service.tracking.baseURL, headers: ["Content-Type": "application/soap+xml; charset=utf-8"], body: Array(envelope.utf8))
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        let moscow = service.tracking.zone(or: TimeZone(identifier: "Europe/Moscow")!)
        if status == 429 || status == 401 || status == 403 || status == 502 || status == 503 || status == 504 { throw httpError(status, "Russian Post") }
        let root = try XMLElement.parse(body)
        if let fault = root.all("Fault").first {
            let text = fault.all("Text").first?.text ?? fault.all("faultstring").first?.text ?? "SOAP fault"
            if fault.all("OperationHistoryFault").isEmpty == false || text.lowercased().contains("не найден") || text.lowercased().contains("not found") {
                return [numbers[0]: .notFound]
            }
            if fault.all("AuthorizationFault").isEmpty == false { throw .unauthorized }
            return [numbers[0]: .failed(text.trimmingCharacters(in: .whitespacesAndNewlines))]
        }
        guard status == 200, let data = root.all("OperationHistoryData").first else { throw .malformed("OperationHistoryData missing") }
        var events: [CarrierEvent] = []
        for record in data.all("historyRecord") {
            guard let type = record.value("OperationParameters/OperType/Id"), let at = CarrierDates.iso(record.value("OperationParameters/OperDate"), zone: moscow) else {
                return [numbers[0]: .unreadable("historyRecord without OperType/Id or OperDate")]
            }
            let attr = record.value("OperationParameters/OperAttr/Id")
            let code = attr.map { "\(type)/\($0)" } ?? type
            let name = [record.value("OperationParameters/OperType/Name"), record.value("OperationParameters/OperAttr/Name")].compactMap { $0 }.joined(separator: ": ")
            let place = [record.value("AddressParameters/OperationAddress/Index"), record.value("AddressParameters/OperationAddress/Description")].compactMap { $0 }.joined(separator: " ")
            events.append(CarrierEvent(code: code, description: name.isEmpty ? code : name, occurredAt: at, location: place.isEmpty ? nil : place, kind: service.kind(of: code, fallback: type)))
        }
        return [numbers[0]: .events(events.chronological())]
    }
}
