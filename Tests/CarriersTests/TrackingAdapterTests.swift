@testable import Carriers
import Foundation
import ReturnsCore
import Testing

private let catalog = try! CarrierCatalog.load(directory: URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("carriers").path)

private func parse(_ carrier: String, status: Int = 200, _ body: String, numbers: [String]) throws -> [String: TrackingResult] {
    let service = catalog.byID[carrier]!
    return try TrackingAdapters.adapter(for: service)!.parseResponse(status: status, body: Array(body.utf8), numbers: numbers, service: service)
}

private func kinds(_ r: TrackingResult?) -> [CarrierEventKind] {
    if case .events(let e) = r { return e.map(\.kind) }
    return []
}

/// Sample answers in the shapes the carriers document.
enum Samples {
    static let usps = """
        {"trackingNumber": "9400111206206406260787", "statusCategory": "Delivered", "trackingEvents": [
          {"eventType": "Delivered, In/At Mailbox", "eventTimestamp": "2026-11-20T14:02:00Z", "eventCity": "ONTARIO", "eventState": "CA", "eventZIP": "91761", "eventCode": "01"},
          {"eventType": "Departed USPS Regional Facility", "eventTimestamp": "2026-11-19T03:10:00Z", "eventCity": "LOS ANGELES", "eventState": "CA", "eventCode": "L1"},
          {"eventType": "USPS in possession of item", "eventTimestamp": "2026-11-18T09:00:00Z", "eventCity": "SPRINGFIELD", "eventState": "IL", "eventCode": "03"}]}
        """
    static let laPosteOne = """
        {"lang": "fr_FR", "scope": "open", "returnCode": 200, "shipment": {"idShip": "CY100043216FR", "product": "colissimo", "isFinal": true,
          "event": [{"code": "DI1", "label": "Votre colis est livré", "date": "2026-11-20T11:49:00+01:00"},
                    {"code": "ET1", "label": "Votre colis est en cours d'acheminement", "date": "2026-11-19T08:00:00+01:00"},
                    {"code": "PC1", "label": "Votre colis est pris en charge", "date": "2026-11-18T17:00:00+01:00"},
                    {"code": "DR1", "label": "Déclaratif réceptionné", "date": "2026-11-18T10:00:00+01:00"}]}}
        """
    static let laPosteMany = """
        [{"returnCode": 200, "shipment": {"idShip": "CY100000001FR", "event": [{"code": "PC1", "label": "pris en charge", "date": "2026-11-18T17:00:00+01:00"}]}},
         {"returnCode": 104, "idShip": "CY100000002FR", "returnMessage": "Numéro de suivi inconnu"}]
        """
    static let correios = """
        {"objetos": [{"codObjeto": "LB100000001BR", "eventos": [
            {"codigo": "BDE", "tipo": "01", "dtHrCriado": "2026-11-20T10:15:00", "descricao": "Objeto entregue ao destinatário", "unidade": {"endereco": {"cidade": "CAJAMAR", "uf": "SP"}}},
            {"codigo": "RO", "tipo": "01", "dtHrCriado": "2026-11-19T08:00:00", "descricao": "Objeto em trânsito - por favor aguarde"},
            {"codigo": "PO", "tipo": "01", "dtHrCriado": "2026-11-18T16:00:00", "descricao": "Objeto postado"}]},
          {"codObjeto": "LB100000002BR", "mensagem": "SRO-020: Objeto não encontrado na base de dados dos Correios."}]}
        """
    static let russianPost = """
        <?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body>
        <ns7:getOperationHistoryResponse xmlns:ns7="http://russianpost.org/operationhistory" xmlns:ns3="http://russianpost.org/operationhistory/data">
        <ns3:OperationHistoryData>
          <ns3:historyRecord><ns3:AddressParameters><ns3:OperationAddress><ns3:Index>125009</ns3:Index><ns3:Description>Москва 125009</ns3:Description></ns3:OperationAddress></ns3:AddressParameters>
            <ns3:OperationParameters><ns3:OperType><ns3:Id>1</ns3:Id><ns3:Name>Приём</ns3:Name></ns3:OperType><ns3:OperAttr><ns3:Id>1</ns3:Id><ns3:Name>Единичный</ns3:Name></ns3:OperAttr><ns3:OperDate>2026-11-18T14:40:00.000+03:00</ns3:OperDate></ns3:OperationParameters></ns3:historyRecord>
          <ns3:historyRecord><ns3:OperationParameters><ns3:OperType><ns3:Id>8</ns3:Id><ns3:Name>Обработка</ns3:Name></ns3:OperType><ns3:OperAttr><ns3:Id>2</ns3:Id><ns3:Name>Прибыло в место вручения</ns3:Name></ns3:OperAttr><ns3:OperDate>2026-11-19T09:00:00.000+03:00</ns3:OperDate></ns3:OperationParameters></ns3:historyRecord>
          <ns3:historyRecord><ns3:OperationParameters><ns3:OperType><ns3:Id>2</ns3:Id><ns3:Name>Вручение</ns3:Name></ns3:OperType><ns3:OperAttr><ns3:Id>1</ns3:Id><ns3:Name>Вручение адресату</ns3:Name></ns3:OperAttr><ns3:OperDate>2026-11-20T12:00:00.000+03:00</ns3:OperDate></ns3:OperationParameters></ns3:historyRecord>
        </ns3:OperationHistoryData></ns7:getOperationHistoryResponse></S:Body></S:Envelope>
        """
    static let russianPostFault = """
        <S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body><S:Fault><S:Code><S:Value>S:Receiver</S:Value></S:Code>
        <S:Reason><S:Text xml:lang="en">Сведения об отправлении не найдены</S:Text></S:Reason>
        <S:Detail><ns3:OperationHistoryFaultReason xmlns:ns3="http://russianpost.org/operationhistory/data">Not found</ns3:OperationHistoryFaultReason></S:Detail></S:Fault></S:Body></S:Envelope>
        """
    static let dhl = """
        {"shipments": [{"id": "LX100000001DE", "service": "parcel-de", "status": {"statusCode": "delivered"},
          "events": [{"timestamp": "2026-11-20T09:00:00Z", "location": {"address": {"addressLocality": "Venlo"}}, "statusCode": "delivered", "status": "DELIVERED", "description": "Delivered"},
                     {"timestamp": "2026-11-19T09:00:00Z", "statusCode": "transit", "status": "IN TRANSIT", "description": "Processed"},
                     {"timestamp": "2026-11-18T09:00:00Z", "statusCode": "pre-transit", "description": "Label created"}]}]}
        """
    static let royalMail = """
        {"mailPieces": {"mailPieceId": "TT100000001GB", "summary": {"statusCategory": "DELIVERED", "lastEventCode": "EVKSP"},
          "events": [{"eventCode": "EVKSP", "eventName": "Delivered", "eventDateTime": "2026-11-20T10:04:00+00:00", "locationName": "Northampton DO"},
                     {"eventCode": "EVDAV", "eventName": "Item received", "eventDateTime": "2026-11-18T16:00:00+00:00", "locationName": "Camden PO"}]}}
        """
    static let royalMailNotFound = """
        {"httpCode": 404, "httpMessage": "Not Found", "moreInformation": "Tracking number not recognised",
         "errors": [{"errorCode": "E1142", "errorDescription": "Tracking number not recognised", "errorCause": "", "errorResolution": ""}]}
        """
    static let canadaPost = """
        <?xml version="1.0" encoding="UTF-8"?>
        <tracking-detail xmlns="http://www.canadapost.ca/ws/track-v2"><pin>LM100000001CA</pin>
          <significant-events>
            <occurrence><event-identifier>1496</event-identifier><event-date>2026-11-20</event-date><event-time>13:17:36</event-time><event-time-zone>EST</event-time-zone><event-description>Item successfully delivered</event-description><event-site>MISSISSAUGA</event-site><event-province>ON</event-province></occurrence>
            <occurrence><event-identifier>3000</event-identifier><event-date>2026-11-18</event-date><event-time>10:00:00</event-time><event-time-zone>EST</event-time-zone><event-description>Item accepted at the Post Office</event-description><event-site>TORONTO</event-site><event-province>ON</event-province></occurrence>
          </significant-events></tracking-detail>
        """
    static let canadaPostNotFound = """
        <?xml version="1.0" encoding="UTF-8"?><messages xmlns="http://www.canadapost.ca/ws/messages"><message><code>004</code><description>No Pin History</description></message></messages>
        """
    static let ausPost = """
        {"tracking_results": [
          {"tracking_id": "RR100000001AU", "status": "Delivered", "trackable_items": [{"article_id": "RR100000001AU", "events": [
             {"location": "EASTERN CREEK NSW", "description": "Delivered", "date": "2026-11-20T10:00:00+11:00"},
             {"location": "SYDNEY NSW", "description": "Received by Australia Post", "date": "2026-11-18T09:00:00+11:00"}], "status": "Delivered"}]},
          {"tracking_id": "RR100000002AU", "errors": [{"code": "ESB-10002", "name": "Tracking ID not found"}]}]}
        """
    static let postNL = """
        {"CurrentStatus": {"Shipment": {"Barcode": "LA100000001NL",
          "Event": [{"Code": "B01", "Description": "Zending is aangenomen", "LocationCode": "123456", "TimeStamp": "18-11-2026 16:00:00"},
                    {"Code": "I01", "Description": "Zending is afgeleverd", "LocationCode": "654321", "TimeStamp": "20-11-2026 12:07:08"}]}}}
        """
    static let generic = """
        {"events": [{"code": "ACCEPTED", "timestamp": "2026-11-18T10:00:00Z", "description": "Admitido", "location": "Madrid"},
                    {"code": "DELIVERED", "timestamp": "2026-11-20T10:00:00Z", "description": "Entregado"}]}
        """
    static let ukrposhta = """
        [{"barcode": "RB100000001UA", "step": 1, "date": "2026-11-18T10:00:00", "index": "01001", "name": "Київ", "event": "10100", "eventName": "Прийнято"},
         {"barcode": "RB100000001UA", "step": 2, "date": "2026-11-20T10:00:00", "index": "08300", "name": "Бориспіль", "event": "41000", "eventName": "Вручено"}]
        """
}

@Suite("Tracking adapters: one pure request/response pair per API family")
struct TrackingAdapterTests {
    @Test("USPS v3 trackingEvents map by eventCode, oldest first")
    func usps() throws {
        let r = try parse("us_usps", Samples.usps, numbers: ["9400111206206406260787"])
        #expect(kinds(r["9400111206206406260787"]) == [.acceptance, .transit, .delivered])
        #expect(try parse("us_usps", status: 404, #"{"error": {"code": "404", "message": "Not Found"}}"#, numbers: ["X"])["X"] == .notFound)
    }

    /// A US facility writes its own local time: one zone for the whole file would put a Chicago
    /// scan hours off. The event's UTC time, or its offset, says when it was.
    @Test("USPS: GMTTimestamp wins, then eventTimestamp with GMTOffset, then eventTimestamp as it is; a malformed offset is not used")
    func uspsEventTimes() throws {
        let body = """
            {"trackingEvents": [
              {"eventCode": "01", "eventTimestamp": "2026-11-20T08:02:00", "GMTTimestamp": "2026-11-20T14:02:00Z"},
              {"eventCode": "L1", "eventTimestamp": "2026-11-19T03:10:00", "GMTOffset": "-08:00"},
              {"eventCode": "10", "eventTimestamp": "2026-11-18T22:00:00-05:00", "GMTOffset": "-06:00"},
              {"eventCode": "03", "eventTimestamp": "2026-11-18T09:00:00", "GMTOffset": "6 hours"},
              {"eventCode": "GX", "eventTimestamp": "2026-11-17T09:00:00"}]}
            """
        guard case .events(let events) = try parse("us_usps", body, numbers: ["N"])["N"] else { Issue.record("no events"); return }
        let at = Dictionary(uniqueKeysWithValues: events.map { ($0.code, $0.occurredAt.formatted(.iso8601)) })
        #expect(at["01"] == "2026-11-20T14:02:00Z")
        #expect(at["L1"] == "2026-11-19T11:10:00Z")
        #expect(at["10"] == "2026-11-19T03:00:00Z", "its own offset kept")
        #expect(at["03"] == "2026-11-18T09:00:00Z", "read as before: UTC, the event names no state")
        #expect(at["GX"] == "2026-11-17T09:00:00Z")
    }

    /// Without a GMT field, an event's local time is its state's: read in UTC, a Chicago
    /// acceptance at 09:00 was stored six hours early, before the label was dropped off.
    @Test("USPS: an eventTimestamp without GMT fields is read on its eventState's clock; a state not listed or none in UTC")
    func uspsStateClocks() throws {
        let body = """
            {"trackingEvents": [
              {"eventCode": "03", "eventTimestamp": "2026-11-18T09:00:00", "eventCity": "CHICAGO", "eventState": "IL"},
              {"eventCode": "10", "eventTimestamp": "2026-11-18T09:00:00", "eventCity": "ONTARIO", "eventState": "ca"},
              {"eventCode": "L1", "eventTimestamp": "2026-07-18T09:00:00", "eventCity": "PHOENIX", "eventState": "AZ"},
              {"eventCode": "OF", "eventTimestamp": "2026-07-18T09:00:00", "eventCity": "DENVER", "eventState": "CO"},
              {"eventCode": "07", "eventTimestamp": "2026-11-18T09:00:00", "eventCity": "SAN JUAN", "eventState": "PR"},
              {"eventCode": "GX", "eventTimestamp": "2026-11-17T09:00:00", "eventCity": "APO", "eventState": "AE"},
              {"eventCode": "MA", "eventTimestamp": "2026-11-17T09:00:00"},
              {"eventCode": "01", "eventTimestamp": "2026-11-20T08:02:00", "eventState": "IL", "GMTOffset": "-08:00"}]}
            """
        func instants(_ service: CarrierService) throws -> [String: String] {
            let r = try TrackingAdapters.adapter(for: service)!.parseResponse(status: 200, body: Array(body.utf8), numbers: ["N"], service: service)
            guard case .events(let events) = r["N"] else { Issue.record("no events: \(String(describing: r["N"]))"); return [:] }
            return Dictionary(uniqueKeysWithValues: events.map { ($0.code, $0.occurredAt.formatted(.iso8601)) })
        }
        let usps = try #require(catalog.byID["us_usps"])
        let at = try instants(usps)
        #expect(at["03"] == "2026-11-18T15:00:00Z", "Chicago is UTC-6 in November")
        #expect(at["10"] == "2026-11-18T17:00:00Z", "California is UTC-8, its code read in capitals")
        #expect(at["L1"] == "2026-07-18T16:00:00Z", "Arizona keeps UTC-7 in summer")
        #expect(at["OF"] == "2026-07-18T15:00:00Z", "Colorado is UTC-6 in summer")
        #expect(at["07"] == "2026-11-18T13:00:00Z", "Puerto Rico is UTC-4")
        #expect(at["GX"] == "2026-11-17T09:00:00Z", "a military code not listed is read in UTC")
        #expect(at["MA"] == "2026-11-17T09:00:00Z", "an event naming no state is read in UTC")
        #expect(at["01"] == "2026-11-20T16:02:00Z", "the event's own offset wins over its state's clock")
        // Without the list every offset-less time is read in UTC, as before it existed.
        var unlisted = usps
        unlisted.tracking.zonesByRegion = [:]
        #expect(try instants(unlisted)["03"] == "2026-11-18T09:00:00Z")
    }

    @Test("La Poste Suivi v2: one number is an object, several an array; returnCode 104 is unknown")
    func laPoste() throws {
        let one = try parse("fr_colissimo", Samples.laPosteOne, numbers: ["CY100043216FR"])
        #expect(kinds(one["CY100043216FR"]) == [.info, .acceptance, .transit, .delivered])
        let many = try parse("fr_colissimo", status: 207, Samples.laPosteMany, numbers: ["CY100000001FR", "CY100000002FR"])
        #expect(kinds(many["CY100000001FR"]) == [.acceptance])
        #expect(many["CY100000002FR"] == .notFound)
    }

    @Test("Correios Rastro: codigo/tipo keys, SRO-020 is not found, São Paulo time")
    func correios() throws {
        let r = try parse("br_correios", Samples.correios, numbers: ["LB100000001BR", "LB100000002BR"])
        #expect(kinds(r["LB100000001BR"]) == [.acceptance, .transit, .delivered])
        #expect(r["LB100000002BR"] == .notFound)
        if case .events(let e) = r["LB100000001BR"] {
            #expect(e.last?.code == "BDE/01")
            #expect(e.last?.location == "CAJAMAR")
            #expect(e.last?.occurredAt == (try? Date("2026-11-20T13:15:00Z", strategy: .iso8601)))
        }
    }

    @Test("Correios: an event's time is read on its state's clock (Manaus, Acre), a state not listed or none on Brasília time")
    func correiosStateClocks() throws {
        let body = """
            {"objetos": [{"codObjeto": "LB1", "eventos": [
                {"codigo": "PO", "tipo": "01", "dtHrCriado": "2026-11-18T10:00:00", "unidade": {"endereco": {"cidade": "MANAUS", "uf": "AM"}}},
                {"codigo": "RO", "tipo": "01", "dtHrCriado": "2026-11-18T10:00:00", "unidade": {"endereco": {"cidade": "RIO BRANCO", "uf": "ac"}}},
                {"codigo": "RO", "tipo": "01", "dtHrCriado": "2026-11-18T10:00:00", "unidade": {"endereco": {"cidade": "CAJAMAR", "uf": "SP"}}},
                {"codigo": "RO", "tipo": "01", "dtHrCriado": "2026-11-18T10:00:00"},
                {"codigo": "BDE", "tipo": "01", "dtHrCriado": "2026-11-18T10:00:00-03:00", "unidade": {"endereco": {"uf": "AC"}}}]}]}
            """
        func instants(_ service: CarrierService) throws -> [String: Date] {
            let r = try TrackingAdapters.adapter(for: service)!.parseResponse(status: 200, body: Array(body.utf8), numbers: ["LB1"], service: service)
            guard case .events(let events) = r["LB1"] else { Issue.record("no events: \(String(describing: r["LB1"]))"); return [:] }
            return Dictionary(events.map { ("\($0.location ?? "-") \($0.code)", $0.occurredAt) }, uniquingKeysWith: { a, _ in a })
        }
        let iso = { (s: String) in try Date(s, strategy: .iso8601) }
        let correios = try #require(catalog.byID["br_correios"])
        let read = try instants(correios)
        #expect(read["MANAUS PO/01"] == (try iso("2026-11-18T14:00:00Z")), "Manaus is UTC-4")
        #expect(read["RIO BRANCO RO/01"] == (try iso("2026-11-18T15:00:00Z")), "Acre is UTC-5, its code read in capitals")
        #expect(read["CAJAMAR RO/01"] == (try iso("2026-11-18T13:00:00Z")), "São Paulo is UTC-3")
        #expect(read["- RO/01"] == (try iso("2026-11-18T13:00:00Z")), "an event naming no state is on the file's clock")
        #expect(read["- BDE/01"] == (try iso("2026-11-18T13:00:00Z")), "an offset in the text is kept")
        // Without the list every offset-less time is on the file's clock, as before it existed.
        var unlisted = correios
        unlisted.tracking.zonesByRegion = [:]
        #expect(try instants(unlisted)["MANAUS PO/01"] == (try iso("2026-11-18T13:00:00Z")))
    }

    @Test("Russian Post getOperationHistory: OperType/OperAttr keys; a fault for an unknown barcode is not found")
    func russianPost() throws {
        let r = try parse("ru_russianpost", Samples.russianPost, numbers: ["14001226000013"])
        #expect(kinds(r["14001226000013"]) == [.acceptance, .transit, .delivered])
        if case .events(let e) = r["14001226000013"] { #expect(e.first?.location == "125009 Москва 125009") }
        #expect(try parse("ru_russianpost", status: 500, Samples.russianPostFault, numbers: ["X"])["X"] == .notFound)
    }

    @Test("DHL Unified: statusCode pre-transit/transit/delivered; 404 is not found")
    func dhl() throws {
        let r = try parse("de_dhl", Samples.dhl, numbers: ["LX100000001DE"])
        #expect(kinds(r["LX100000001DE"]) == [.info, .transit, .delivered])
        #expect(try parse("de_dhl", status: 404, #"{"title": "No result found", "status": 404}"#, numbers: ["X"])["X"] == .notFound)
    }

    @Test("Royal Mail v2: mailPieces.events; E1142 is not found")
    func royalMail() throws {
        #expect(kinds(try parse("gb_royalmail", Samples.royalMail, numbers: ["TT100000001GB"])["TT100000001GB"]) == [.acceptance, .delivered])
        #expect(try parse("gb_royalmail", status: 404, Samples.royalMailNotFound, numbers: ["X"])["X"] == .notFound)
    }

    @Test("Canada Post XML: occurrences by event-identifier; message 004 is not found")
    func canadaPost() throws {
        #expect(kinds(try parse("ca_canadapost", Samples.canadaPost, numbers: ["LM100000001CA"])["LM100000001CA"]) == [.acceptance, .delivered])
        #expect(try parse("ca_canadapost", status: 404, Samples.canadaPostNotFound, numbers: ["X"])["X"] == .notFound)
    }

    @Test("Australia Post: a batch answer with one delivered parcel and one unknown")
    func ausPost() throws {
        let r = try parse("au_auspost", Samples.ausPost, numbers: ["RR100000001AU", "RR100000002AU"])
        #expect(kinds(r["RR100000001AU"]) == [.acceptance, .delivered])
        #expect(r["RR100000002AU"] == .notFound)
    }

    @Test("PostNL: Event Code and dd-MM-yyyy Amsterdam timestamps")
    func postNL() throws {
        let r = try parse("nl_postnl", Samples.postNL, numbers: ["LA100000001NL"])
        #expect(kinds(r["LA100000001NL"]) == [.acceptance, .delivered])
        if case .events(let e) = r["LA100000001NL"] { #expect(e.last?.occurredAt == (try? Date("2026-11-20T11:07:08Z", strategy: .iso8601))) }
    }

    @Test("the generic adapter reads the paths its YAML names, including a root array")
    func generic() throws {
        #expect(kinds(try parse("es_correos", Samples.generic, numbers: ["PQ1"])["PQ1"]) == [.acceptance, .delivered])
        #expect(kinds(try parse("ua_ukrposhta", Samples.ukrposhta, numbers: ["RB1"])["RB1"]) == [.acceptance, .delivered])
        #expect(try parse("es_correos", status: 404, "", numbers: ["PQ1"])["PQ1"] == .notFound)
    }

    /// One unreadable number in a batch of 10 or 20 failed the whole answer: every parcel of
    /// the batch failed its poll, and the carrier was paused as if it were down.
    @Test("in a batch answer, a number whose events cannot be read fails alone; the others are read", arguments: ["fr_colissimo", "br_correios", "au_auspost"])
    func unreadableNumberFailsAlone(id: String) throws {
        let good = "NB100000001XX", bad = "NB100000002XX"
        let body: String
        switch id {
        case "fr_colissimo":
            body = #"[{"returnCode": 200, "shipment": {"idShip": "\#(good)", "event": [{"code": "PC1", "label": "pris en charge", "date": "2026-11-18T17:00:00+01:00"}]}},"#
                + #" {"returnCode": 200, "shipment": {"idShip": "\#(bad)", "event": [{"code": "PC1", "label": "pris en charge", "date": ""}]}}]"#
        case "br_correios":
            body = #"{"objetos": [{"codObjeto": "\#(good)", "eventos": [{"codigo": "PO", "tipo": "01", "dtHrCriado": "2026-11-18T16:00:00"}]},"#
                + #" {"codObjeto": "\#(bad)", "eventos": [{"tipo": "01", "dtHrCriado": "2026-11-18T16:00:00"}]}]}"#
        default:
            body = #"{"tracking_results": [{"tracking_id": "\#(good)", "trackable_items": [{"events": [{"description": "Received by Australia Post", "date": "2026-11-18T09:00:00+11:00"}]}]},"#
                + #" {"tracking_id": "\#(bad)", "trackable_items": [{"events": [{"description": "Received by Australia Post", "date": "yesterday"}]}]}]}"#
        }
        let r = try parse(id, body, numbers: [good, bad])
        #expect(kinds(r[good]) == [.acceptance], "\(id): \(String(describing: r[good]))")
        guard case .failed(let message) = r[bad] else { Issue.record("\(id): \(String(describing: r[bad]))"); return }
        #expect(message.hasPrefix("malformed response: event") || message.hasPrefix("malformed response: evento"), "\(message)")
    }

    @Test("one event without its code or date fails its number, not the carrier; an answer not the API's at all still throws", arguments: [
        ("us_usps", #"{"trackingEvents": [{"eventCode": "03"}]}"#),
        ("de_dhl", #"{"shipments": [{"events": [{"statusCode": "transit"}]}]}"#),
        ("es_correos", #"{"events": [{"code": "ACCEPTED"}]}"#),
        ("nl_postnl", #"{"CurrentStatus": {"Shipment": {"Barcode": "N1", "Event": [{"Code": "B01"}]}}}"#),
        ("gb_royalmail", #"{"mailPieces": {"events": [{"eventCode": "EVAIP"}]}}"#),
        ("ru_russianpost", Samples.russianPost.replacingOccurrences(of: "<ns3:OperDate>2026-11-19T09:00:00.000+03:00</ns3:OperDate>", with: "")),
        ("ca_canadapost", "<tracking-detail><pin>N1</pin><significant-events><occurrence><event-identifier>1496</event-identifier></occurrence></significant-events></tracking-detail>"),
    ])
    func unreadableEventFailsItsNumber(id: String, body: String) throws {
        let r = try parse(id, body, numbers: ["N1"])
        guard case .failed(let message) = r["N1"] else { Issue.record("\(id): \(String(describing: r["N1"]))"); return }
        #expect(message.hasPrefix("malformed response: "), "\(id): \(message)")
        #expect(throws: TrackingResponseError.self) { try parse(id, "<html>Service Unavailable</html>", numbers: ["N1"]) }
    }

    @Test("a carrier's time without an offset is read in its file's time zone; one with an offset keeps it")
    func offsetlessTimesInTheCarriersZone() throws {
        func times(_ r: TrackingResult?) -> [Date] {
            if case .events(let e) = r { return e.map(\.occurredAt) }
            return []
        }
        let iso = { (s: String) in try Date(s, strategy: .iso8601) }
        // Ukrposhta writes Kyiv time: 10:00 on 18 November (UTC+2) is 08:00 UTC, not 10:00.
        #expect(times(try parse("ua_ukrposhta", Samples.ukrposhta, numbers: ["RB1"])["RB1"]) == [try iso("2026-11-18T08:00:00Z"), try iso("2026-11-20T08:00:00Z")])
        // Chile in its summer (UTC-3), Israel in its winter (UTC+2), through the same adapter family.
        let local = #"{"events": [{"code": "ACCEPTED", "timestamp": "2026-12-01T10:00:00", "description": "x"}]}"#
        #expect(times(try parse("cl_correoschile", local, numbers: ["N1"])["N1"]) == [try iso("2026-12-01T13:00:00Z")])
        #expect(times(try parse("il_israelpost", local, numbers: ["N1"])["N1"]) == [try iso("2026-12-01T08:00:00Z")])
        // An offset in the text is the carrier's own word: Madrid's zone does not move a Z time.
        #expect(times(try parse("es_correos", Samples.generic, numbers: ["PQ1"])["PQ1"]).first == (try iso("2026-11-18T10:00:00Z")))
        // A file without the field: the family's own default (UTC for generic JSON), as before it existed.
        var service = catalog.byID["ua_ukrposhta"]!
        service.tracking.timeZone = nil
        let r = try TrackingAdapters.adapter(for: service)!.parseResponse(status: 200, body: Array(Samples.ukrposhta.utf8), numbers: ["RB1"], service: service)
        #expect(times(r["RB1"]).first == (try iso("2026-11-18T10:00:00Z")))
        // A dedicated adapter keeps its zone when the file names none (Correios: São Paulo).
        var correios = catalog.byID["br_correios"]!
        correios.tracking.timeZone = nil
        let number = "LB100000001BR"
        let withFile = try parse("br_correios", Samples.correios, numbers: [number])
        let withoutFile = try TrackingAdapters.adapter(for: correios)!.parseResponse(status: 200, body: Array(Samples.correios.utf8), numbers: [number], service: correios)
        #expect(times(withFile[number]).first == (try iso("2026-11-18T19:00:00Z")))
        #expect(times(withoutFile[number]) == times(withFile[number]))
    }

    @Test("every family turns malformed, empty, truncated and error answers into typed errors, never a crash", arguments: catalog.services.map(\.id))
    func hostileAnswers(id: String) {
        let truncated = [Samples.usps, Samples.laPosteOne, Samples.correios, Samples.russianPost, Samples.dhl, Samples.canadaPost].map { String($0.prefix($0.count / 2)) }
        for body in ["", "{", "[]", "null", "<x>", "{\"events\": 5}", "{\"shipments\": [{\"events\": [{}]}]}"] + truncated {
            do {
                _ = try parse(id, body, numbers: ["N1"])
            } catch {
                #expect(error is TrackingResponseError, "\(id): \(body) gave \(error)")
            }
        }
        #expect(throws: TrackingResponseError.rateLimited) { try parse(id, status: 429, "", numbers: ["N1"]) }
        #expect(throws: TrackingResponseError.unauthorized) { try parse(id, status: 401, "", numbers: ["N1"]) }
        #expect { try parse(id, status: 503, "", numbers: ["N1"]) } throws: { if case TrackingResponseError.carrierError(503, _) = $0 { true } else { false } }
    }

    /// Found by `fuzz/` (FuzzCarrierResponses): an XML declaration naming an encoding libxml2
    /// cannot convert let bytes that are not UTF-8 reach Foundation's XMLParser, which trapped.
    @Test("an XML answer that is not UTF-8, declares another encoding, or carries an instruction or DTD is malformed, not a crash", arguments: ["ca_canadapost", "ru_russianpost"])
    func xmlEncodingTraps(id: String) throws {
        let crash: [UInt8] = Array(#"<?xml version="1.0" encoding="UTF-"#.utf8) + [UInt8](repeating: 0xFF, count: 86)
            + Array(#"8"?><messa"#.utf8) + [UInt8](repeating: 0xC1, count: 116)
            + Array(#"ges xmlns="http://www.canadapost.ca/ws/messages"><message><code>004</code></message></messages>"#.utf8)
        let latin1 = Array(#"<?xml version="1.0" encoding="ISO-8859-1"?><tracking-detail><pin>LM1</pin></tracking-detail>"#.utf8)
        let nul = Array("<tracking-detail>\u{0}</tracking-detail>".utf8)
        // Also found by fuzzing: a processing instruction without data made XMLParser read NULL.
        let instruction = Array("<?xm1?>il>".utf8)
        let dtd = Array(#"<!DOCTYPE x [<!ENTITY a "aaaa">]><tracking-detail>&a;</tracking-detail>"#.utf8)
        for body in [crash, latin1, nul, instruction, dtd] {
            let service = catalog.byID[id]!
            #expect(throws: TrackingResponseError.self) {
                try TrackingAdapters.adapter(for: service)!.parseResponse(status: 200, body: body, numbers: ["LM1"], service: service)
            }
        }
        // A UTF-8 declaration, with or without a byte-order mark, still parses.
        let bom = "\u{FEFF}" + Samples.canadaPost.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(kinds(try parse("ca_canadapost", bom, numbers: ["LM100000001CA"])["LM100000001CA"]) == [.acceptance, .delivered])
    }

    /// Found by the CI fuzz stage: a combining character in a date made DateFormatter trap.
    @Test("a date with a combining character or other non-ASCII text is malformed, not a crash", arguments: ["es_correos", "nl_postnl", "ca_canadapost"])
    func datesWithCombiningCharacters(id: String) {
        let odd = "2026-11-1\u{032B}10:00:00Z00Z"
        #expect(CarrierDates.iso(odd) == nil)
        #expect(CarrierDates.formatted(odd, "yyyy-MM-dd HH:mm:ss", TimeZone(identifier: "UTC")!) == nil)
        let body: String
        switch id {
        case "nl_postnl": body = #"{"CurrentStatus": {"Shipment": {"Barcode": "N1", "Event": [{"Code": "B01", "TimeStamp": "\#(odd)"}]}}}"#
        case "ca_canadapost": body = "<tracking-detail><pin>N1</pin><significant-events><occurrence><event-identifier>1496</event-identifier><event-date>\(odd)</event-date><event-time>13:17:36</event-time></occurrence></significant-events></tracking-detail>"
        default: body = #"{"events": [{"code": "ACCEPTED", "timestamp": "\#(odd)", "description": "x"}]}"#
        }
        do { _ = try parse(id, body, numbers: ["N1"]) } catch { #expect(error is TrackingResponseError) }
        // Ordinary dates still parse through the same path.
        #expect(CarrierDates.iso("2026-11-18 10:00:00") != nil)
    }

    @Test("requests follow each API: path, auth header, batch form")
    func requests() {
        func request(_ id: String, _ numbers: [String], _ auth: TrackingAuth) -> TrackingHTTPRequest {
            let s = catalog.byID[id]!
            return TrackingAdapters.adapter(for: s)!.makeRequest(for: numbers, service: s, auth: auth)
        }
        #expect(request("fr_colissimo", ["A", "B"], .apiKey(header: "X-Okapi-Key", value: "k")) == TrackingHTTPRequest(url: "https://api.laposte.fr/suivi/v2/idships/A,B?lang=fr_FR", headers: ["Accept": "application/json", "X-Okapi-Key": "k"]))
        #expect(request("us_usps", ["9400"], .bearer("t")).headers["Authorization"] == "Bearer t")
        #expect(request("us_usps", ["9400"], .bearer("t")).url == "https://apis.usps.com/tracking/v3/tracking/9400?expand=DETAIL")
        #expect(request("br_correios", ["A", "B"], .bearer("t")).url.hasSuffix("/objetos?codigosObjetos=A&codigosObjetos=B&resultado=T"))
        let soap = request("ru_russianpost", ["14001226000013"], .soapLogin(login: "me", password: "p<&"))
        #expect(soap.method == "POST")
        let envelope = String(decoding: soap.body ?? [], as: UTF8.self)
        #expect(envelope.contains("<data:Barcode>14001226000013</data:Barcode>") && envelope.contains("<data:password>p&lt;&amp;</data:password>"))
        #expect(request("ca_canadapost", ["LM1"], .basic(user: "u", password: "p")).headers["Authorization"] == "Basic dTpw")
        #expect(request("au_auspost", ["A", "B"], .basic(user: "acct", password: "p")).url.hasSuffix("/track?tracking_ids=A,B"))
    }

    @Test("the OAuth client-credentials exchange: form request, token and lifetime out")
    func oauth() throws {
        let r = OAuthClientCredentials.makeRequest(tokenURL: "https://x/token", clientID: "id", clientSecret: "s&cret")
        #expect(String(decoding: r.body!, as: UTF8.self) == "grant_type=client_credentials&client_id=id&client_secret=s%26cret")
        let parsed = try OAuthClientCredentials.parseResponse(status: 200, body: Array(#"{"access_token": "abc", "token_type": "Bearer", "expires_in": 28799}"#.utf8))
        #expect(parsed.token == "abc" && parsed.expiresIn == 28799)
        #expect(throws: TrackingResponseError.unauthorized) { try OAuthClientCredentials.parseResponse(status: 401, body: []) }
    }
}

@Suite("Carrier timestamps")
struct CarrierTimestampTests {
    @Test("the fast ISO 8601 path agrees with Foundation on every shape it accepts")
    func fastPathAgrees() throws {
        for s in ["2026-11-20T14:02:00Z", "2026-11-20T11:49:00+01:00", "2026-02-28T23:59:59-03:30", "2024-02-29T00:00:00Z",
                  "2026-11-18T14:40:00.000+03:00", "1999-12-31T23:59:59.5Z", "2000-03-01T00:00:00+14:00"] {
            let fast = try #require(CarrierDates.fastISO(s), "\(s)")
            let slow = try Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: s.contains(".")))
            #expect(abs(fast.timeIntervalSince(slow)) < 0.001, "\(s)")
        }
        for s in ["2026-11-20T14:02:00", "2026-13-20T14:02:00Z", "2026-11-20 14:02:00Z", "20261120T140200Z", "2026-11-20T14:02:00+0100", ""] {
            #expect(CarrierDates.fastISO(s) == nil, "\(s)")
        }
    }

    @Test("a local time the clocks skip is read past the jump, east and west of Greenwich; an impossible date is still refused")
    func skippedLocalTimes() throws {
        let iso = { (s: String) in try Date(s, strategy: .iso8601) }
        func local(_ s: String, _ zone: String) -> Date? { CarrierDates.iso(s, zone: TimeZone(identifier: zone)!) }
        // Madrid, 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 is read as 03:30 CEST.
        #expect(local("2026-03-29T02:30:00", "Europe/Madrid") == (try iso("2026-03-29T01:30:00Z")))
        #expect(local("2026-03-29 02:30:00", "Europe/Madrid") == (try iso("2026-03-29T01:30:00Z")))
        // Santiago, 6 September 2026: 00:00 -04 becomes 01:00 -03; 00:30 is read as 01:30 -03.
        #expect(local("2026-09-06T00:30:00", "America/Santiago") == (try iso("2026-09-06T04:30:00Z")))
        // Either side of the jump is as before.
        #expect(local("2026-03-29T01:59:00", "Europe/Madrid") == (try iso("2026-03-29T00:59:00Z")))
        #expect(local("2026-03-29T03:00:00", "Europe/Madrid") == (try iso("2026-03-29T01:00:00Z")))
        // PostNL's own shape through the same reader.
        #expect(CarrierDates.formatted("29-03-2026 02:30:00", "dd-MM-yyyy HH:mm:ss", TimeZone(identifier: "Europe/Amsterdam")!) == (try iso("2026-03-29T01:30:00Z")))
        #expect(local("2026-02-30T10:00:00", "Europe/Madrid") == nil)
        #expect(local("2026-03-29T25:30:00", "Europe/Madrid") == nil)
    }

    @Test("a carrier answer holding a skipped local time is read whole, not failed at every poll")
    func skippedTimeInAnAnswer() throws {
        let body = #"{"events": [{"code": "ACCEPTED", "timestamp": "2026-03-29T02:30:00", "description": "x"}, {"code": "DELIVERED", "timestamp": "2026-03-30T10:00:00", "description": "y"}]}"#
        let service = catalog.byID["es_correos"]!
        let r = try TrackingAdapters.adapter(for: service)!.parseResponse(status: 200, body: Array(body.utf8), numbers: ["N1"], service: service)
        guard case .events(let events) = r["N1"] else { Issue.record("no events: \(String(describing: r["N1"]))"); return }
        #expect(events.map(\.occurredAt) == [try Date("2026-03-29T01:30:00Z", strategy: .iso8601), try Date("2026-03-30T08:00:00Z", strategy: .iso8601)])
    }
}
