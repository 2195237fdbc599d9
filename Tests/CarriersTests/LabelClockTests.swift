import Carriers
import Foundation
import Testing

private let catalog = try! CarrierCatalog.load(directory: URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("carriers").path)

@Suite("The clock a label prints its deadlines on")
struct LabelClockTests {
    @Test("a buyer's postal code takes the zone of its longest listed prefix, read on its letters and digits in capitals; any other takes time_zone")
    func longestPrefix() throws {
        let file = validFile.replacingOccurrences(of: "label: {size: 4x6in, dpi: 203}", with: """
            label:
              size: 4x6in
              dpi: 203
              time_zone: Pacific/Pago_Pago
              time_zones_by_postal_code: {"9": America/Los_Angeles, "967": Pacific/Honolulu, "96799": Pacific/Pago_Pago, "V": America/Vancouver}
            """)
        #expect(file != validFile)
        let spec = try #require(try CarrierCatalog.parse(files: [("xx_test.yaml", file)]).byID["xx_test"]).label
        func zone(_ code: String) -> String { spec.clock(forPostalCode: code).zone.identifier }
        #expect(zone("90210") == "America/Los_Angeles")
        #expect(zone("96720") == "Pacific/Honolulu")
        #expect(zone("96799") == "Pacific/Pago_Pago")
        #expect(zone("96799-1234") == "Pacific/Pago_Pago")
        #expect(zone(" 9 6 7 9 9 ") == "Pacific/Pago_Pago")
        #expect(zone("v6b 1a1") == "America/Vancouver")
        #expect(zone("10001") == "Pacific/Pago_Pago")
        #expect(zone("") == "Pacific/Pago_Pago")
        #expect(zone("９６８１３") == "Pacific/Pago_Pago", "full-width digits are not read as a prefix")
        #expect(spec.clock(forPostalCode: "96720").name == "Honolulu time")
        #expect(spec.clock(forPostalCode: "10001").name == "Pago Pago time")
    }

    /// The rule that keeps a buyer who reads the printed time as their own early, never late:
    /// a postal code the list does not name (mistyped, or an area left out) gets the clock that
    /// is behind every listed one at every instant, summer time included.
    @Test("in every carrier file, time_zone is behind or level with every zone its postal codes list, every day of two years")
    func fallbackIsTheWesternmost() throws {
        let start = try Date("2026-01-01T12:00:00Z", strategy: .iso8601)
        for service in catalog.services {
            let fallback = service.label.timeZone
            for (prefix, zone) in service.label.zonesByPostalCode {
                for day in 0..<730 {
                    let t = start.addingTimeInterval(Double(day) * 86_400)
                    if fallback.secondsFromGMT(for: t) > zone.secondsFromGMT(for: t) {
                        Issue.record("\(service.id): \(prefix) is on \(zone.identifier), behind \(fallback.identifier) on \(t)")
                        break
                    }
                }
            }
        }
    }

    @Test("real places get their own clock", arguments: [
        ("us_usps", "10001", "America/New_York"),      // New York
        ("us_usps", "30303", "America/New_York"),      // Atlanta
        ("us_usps", "32501", "America/Chicago"),       // Pensacola
        ("us_usps", "32801", "America/New_York"),      // Orlando
        ("us_usps", "33101", "America/New_York"),      // Miami
        ("us_usps", "44114", "America/New_York"),      // Cleveland
        ("us_usps", "37203", "America/Chicago"),       // Nashville
        ("us_usps", "37402", "America/New_York"),      // Chattanooga
        ("us_usps", "37601", "America/New_York"),      // Johnson City
        ("us_usps", "37902", "America/New_York"),      // Knoxville
        ("us_usps", "38103", "America/Chicago"),       // Memphis
        ("us_usps", "40202", "America/New_York"),      // Louisville
        ("us_usps", "40507", "America/New_York"),      // Lexington
        ("us_usps", "41501", "America/New_York"),      // Pikeville
        ("us_usps", "42001", "America/Chicago"),       // Paducah
        ("us_usps", "42101", "America/Chicago"),       // Bowling Green
        ("us_usps", "46204", "America/New_York"),      // Indianapolis
        ("us_usps", "46402", "America/Chicago"),       // Gary
        ("us_usps", "46601", "America/New_York"),      // South Bend
        ("us_usps", "46802", "America/New_York"),      // Fort Wayne
        ("us_usps", "47708", "America/Chicago"),       // Evansville
        ("us_usps", "47807", "America/New_York"),      // Terre Haute
        ("us_usps", "48226", "America/New_York"),      // Detroit
        ("us_usps", "49503", "America/New_York"),      // Grand Rapids
        ("us_usps", "49801", "America/Chicago"),       // Iron Mountain, on Central time
        ("us_usps", "50309", "America/Chicago"),       // Des Moines
        ("us_usps", "53202", "America/Chicago"),       // Milwaukee
        ("us_usps", "55401", "America/Chicago"),       // Minneapolis
        ("us_usps", "57104", "America/Chicago"),       // Sioux Falls
        ("us_usps", "57401", "America/Chicago"),       // Aberdeen, South Dakota
        ("us_usps", "57701", "America/Denver"),        // Rapid City
        ("us_usps", "58102", "America/Chicago"),       // Fargo
        ("us_usps", "58201", "America/Chicago"),       // Grand Forks
        ("us_usps", "58701", "America/Chicago"),       // Minot
        ("us_usps", "58601", "America/Denver"),        // Dickinson
        ("us_usps", "59601", "America/Denver"),        // Helena
        ("us_usps", "60601", "America/Chicago"),       // Chicago
        ("us_usps", "66603", "America/Chicago"),       // Topeka
        ("us_usps", "67202", "America/Chicago"),       // Wichita
        ("us_usps", "67601", "America/Chicago"),       // Hays
        ("us_usps", "67735", "America/Denver"),        // Goodland, Kansas, on Mountain time
        ("us_usps", "67878", "America/Denver"),        // Syracuse, Kansas, on Mountain time
        ("us_usps", "68102", "America/Chicago"),       // Omaha
        ("us_usps", "68508", "America/Chicago"),       // Lincoln
        ("us_usps", "68801", "America/Chicago"),       // Grand Island
        ("us_usps", "69361", "America/Denver"),        // Scottsbluff
        ("us_usps", "75201", "America/Chicago"),       // Dallas
        ("us_usps", "79101", "America/Chicago"),       // Amarillo
        ("us_usps", "79401", "America/Chicago"),       // Lubbock
        ("us_usps", "79701", "America/Chicago"),       // Midland
        ("us_usps", "79901", "America/Denver"),        // El Paso
        ("us_usps", "80202", "America/Denver"),        // Denver
        ("us_usps", "83702", "America/Boise"),         // Boise
        ("us_usps", "83814", "America/Los_Angeles"),   // Coeur d'Alene
        ("us_usps", "85004", "America/Phoenix"),       // Phoenix
        ("us_usps", "89101", "America/Los_Angeles"),   // Las Vegas
        ("us_usps", "94105", "America/Los_Angeles"),   // San Francisco
        ("us_usps", "98101", "America/Los_Angeles"),   // Seattle
        ("us_usps", "96813", "Pacific/Honolulu"),      // Honolulu
        ("us_usps", "96799", "Pacific/Pago_Pago"),     // Pago Pago
        ("us_usps", "99501", "America/Anchorage"),     // Anchorage
        ("us_usps", "99546", "America/Adak"),          // Adak
        ("ca_canadapost", "A1C 5M2", "America/St_Johns"),   // St. John's
        ("ca_canadapost", "A2H 6J8", "America/St_Johns"),   // Corner Brook
        ("ca_canadapost", "A0P 1E0", "America/Halifax"),    // Happy Valley-Goose Bay
        ("ca_canadapost", "A2V 2K7", "America/Halifax"),    // Labrador City
        ("ca_canadapost", "B3H 1A1", "America/Halifax"),    // Halifax
        ("ca_canadapost", "H3B 2Y5", "America/Toronto"),    // Montreal
        ("ca_canadapost", "M5V 2T6", "America/Toronto"),    // Toronto
        ("ca_canadapost", "P3E 3L5", "America/Toronto"),    // Sudbury
        ("ca_canadapost", "P6A 5X6", "America/Toronto"),    // Sault Ste. Marie
        ("ca_canadapost", "P7B 5E1", "America/Toronto"),    // Thunder Bay
        ("ca_canadapost", "P8N 1A1", "America/Winnipeg"),   // Dryden
        ("ca_canadapost", "P9A 1G2", "America/Winnipeg"),   // Fort Frances
        ("ca_canadapost", "P9N 1R6", "America/Winnipeg"),   // Kenora
        ("ca_canadapost", "R3C 4T3", "America/Winnipeg"),   // Winnipeg
        ("ca_canadapost", "S4P 3Y2", "America/Regina"),     // Regina
        ("ca_canadapost", "S9V 0X1", "America/Edmonton"),   // Lloydminster
        ("ca_canadapost", "T2P 1J9", "America/Edmonton"),   // Calgary
        ("ca_canadapost", "V6B 1A1", "America/Vancouver"),  // Vancouver
        ("ca_canadapost", "Y1A 1B1", "America/Whitehorse"), // Whitehorse
        ("au_auspost", "2000", "Australia/Sydney"),          // Sydney
        ("au_auspost", "2600", "Australia/Sydney"),          // Canberra
        ("au_auspost", "2880", "Australia/Broken_Hill"),     // Broken Hill
        ("au_auspost", "3000", "Australia/Melbourne"),       // Melbourne
        ("au_auspost", "4000", "Australia/Brisbane"),        // Brisbane
        ("au_auspost", "5000", "Australia/Adelaide"),        // Adelaide
        ("au_auspost", "6000", "Australia/Perth"),           // Perth
        ("au_auspost", "7000", "Australia/Hobart"),          // Hobart
        ("au_auspost", "0800", "Australia/Darwin"),          // Darwin
        ("au_auspost", "6798", "Indian/Christmas"),          // Christmas Island
        ("fr_colissimo", "75001", "Europe/Paris"),          // Paris
        ("fr_colissimo", "20000", "Europe/Paris"),          // Ajaccio
        ("fr_colissimo", "97110", "America/Guadeloupe"),    // Pointe-à-Pitre
        ("fr_colissimo", "97200", "America/Martinique"),    // Fort-de-France
        ("fr_colissimo", "97300", "America/Cayenne"),       // Cayenne
        ("fr_colissimo", "97400", "Indian/Reunion"),        // Saint-Denis
        ("fr_colissimo", "97600", "Indian/Mayotte"),        // Mamoudzou
        ("es_correos", "28001", "Europe/Madrid"),           // Madrid
        ("es_correos", "35001", "Atlantic/Canary"),         // Las Palmas
        ("es_correos", "38001", "Atlantic/Canary"),         // Santa Cruz de Tenerife
        ("pt_ctt", "1100-148", "Europe/Lisbon"),            // Lisbon
        ("pt_ctt", "9000-018", "Europe/Lisbon"),            // Funchal
        ("pt_ctt", "9500-150", "Atlantic/Azores"),          // Ponta Delgada
        ("cl_correoschile", "8320000", "America/Santiago"), // Santiago
        ("cl_correoschile", "2770000", "Pacific/Easter"),   // Hanga Roa
        ("br_correios", "01310-100", "America/Sao_Paulo"),  // São Paulo
        ("br_correios", "69005-010", "America/Manaus"),     // Manaus
        ("br_correios", "69900-062", "America/Rio_Branco"), // Rio Branco
        ("br_correios", "78005-000", "America/Cuiaba"),     // Cuiabá
        ("mx_correos", "06000", "America/Mexico_City"),     // Mexico City
        ("mx_correos", "22000", "America/Tijuana"),         // Tijuana
        ("mx_correos", "32000", "America/Ciudad_Juarez"),   // Ciudad Juárez
        ("mx_correos", "83000", "America/Hermosillo"),      // Hermosillo
        ("mx_correos", "77500", "America/Cancun"),          // Cancún
        ("ru_russianpost", "101000", "Europe/Moscow"),      // Moscow
        ("ru_russianpost", "236000", "Europe/Kaliningrad"), // Kaliningrad
        ("ru_russianpost", "620014", "Asia/Yekaterinburg"), // Yekaterinburg
        ("ru_russianpost", "630099", "Asia/Novosibirsk"),   // Novosibirsk
        ("ru_russianpost", "690091", "Asia/Vladivostok"),   // Vladivostok
        ("ua_ukrposhta", "01001", "Europe/Kyiv"),           // Kyiv: one zone, no list
    ])
    func realPlaces(carrier: String, postalCode: String, zone: String) throws {
        let spec = try #require(catalog.byID[carrier]).label
        #expect(spec.clock(forPostalCode: postalCode).zone.identifier == zone)
    }

    /// Where a listed prefix takes in places on two clocks, all of it gets the western one: its
    /// eastern places read a deadline an hour early, never late.
    @Test("a place in an area on two clocks gets the area's western clock, behind its own every day of two years", arguments: [
        ("us_usps", "58501", "America/Denver", "America/Chicago"),    // Bismarck: 585 takes in Grant and Sioux counties
        ("us_usps", "57501", "America/Denver", "America/Chicago"),    // Pierre: 575 reaches west of the river
        ("us_usps", "67801", "America/Denver", "America/Chicago"),    // Dodge City: 678 takes in Greeley and Hamilton counties
        ("us_usps", "69101", "America/Denver", "America/Chicago"),    // North Platte: 691 takes in Keith County
        ("us_usps", "42701", "America/Chicago", "America/New_York"),  // Elizabethtown: 427 takes in Grayson and Hart counties
        ("us_usps", "37701", "America/Chicago", "America/New_York"),  // Alcoa: 377 takes in Crab Orchard
        ("us_usps", "49829", "America/Chicago", "America/New_York"),  // Escanaba: the Upper Peninsula's 498 takes in Menominee
        ("us_usps", "47901", "America/Chicago", "America/New_York"),  // Lafayette: 479 takes in Newton and Jasper counties
        ("ca_canadapost", "P0T 2J0", "America/Winnipeg", "America/Toronto"), // Nipigon: P0T reaches Central time
    ])
    func splitAreas(carrier: String, postalCode: String, printed: String, own: String) throws {
        let spec = try #require(catalog.byID[carrier]).label
        let clock = spec.clock(forPostalCode: postalCode).zone
        #expect(clock.identifier == printed)
        let ownZone = try #require(TimeZone(identifier: own))
        let start = try Date("2026-01-01T12:00:00Z", strategy: .iso8601)
        let behindEveryDay = (0..<730).allSatisfy { day in
            let t = start.addingTimeInterval(Double(day) * 86_400)
            return clock.secondsFromGMT(for: t) < ownZone.secondsFromGMT(for: t)
        }
        #expect(behindEveryDay, "\(postalCode) prints \(clock.identifier), which must be behind \(own) every day")
    }
}
