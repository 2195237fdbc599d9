import Carriers
import Foundation
@testable import Labels
import Testing

@Suite("Dates printed on labels")
struct LabelDatesTests {
    @Test("the hand-written minute on a zone's clock matches Foundation's, across summer time and the years it covers")
    func minuteMatchesFoundation() throws {
        var g = SystemRandomNumberGenerator()
        var seconds: [Double] = (0..<3_000).map { _ in Double.random(in: -12_212_553_600..<253_402_300_800, using: &g) }
        // Either side of the 2026 changes in Europe, Chile and Australia, and outside the years.
        seconds += [1_774_746_000, 1_774_745_999, 1_792_890_000, 1_792_889_999, 1_788_667_200, 1_775_923_200, -12_212_553_601, 253_402_300_800]
        // Every day boundary of two leap-year cycles, and either side of each, in UTC.
        for day in -800...800 {
            for offset in [-0.5, 0, 0.5] {
                let d = Date(timeIntervalSince1970: Double(day) * 86_400 + offset)
                #expect(LabelDates.minute(d, in: .gmt) == LabelDates.foundationMinute(d, in: .gmt), "\(d)")
            }
        }
        seconds += [0, -1, 86_399.999, 86_400, -86_400, -86_400.001, 951_782_400, 951_868_800, 4_107_542_400, -62_135_596_800, 1e12, -1e12]
        for zone in ["UTC", "America/Tijuana", "Pacific/Honolulu", "Europe/Kyiv", "Pacific/Easter", "Australia/Perth", "Asia/Kolkata", "America/St_Johns"] {
            let z = try #require(TimeZone(identifier: zone))
            for s in seconds {
                let d = Date(timeIntervalSince1970: s)
                #expect(LabelDates.minute(d, in: z) == LabelDates.foundationMinute(d, in: z), "\(zone) \(s)")
            }
        }
    }

    @Test("a label names its clock by its place, and UTC as UTC; the names follow a changed zone or list")
    func clockNames() throws {
        func name(_ zone: TimeZone) -> String { CarrierService.LabelSpec(size: .fourBySixInches, dpi: 203, timeZone: zone).clock(forPostalCode: "1").name }
        #expect(name(try #require(TimeZone(identifier: "America/Mexico_City"))) == "Mexico City time")
        #expect(name(try #require(TimeZone(identifier: "Europe/Kyiv"))) == "Kyiv time")
        #expect(name(.gmt) == "UTC")
        #expect(name(try #require(TimeZone(identifier: "UTC"))) == "UTC")
        var spec = CarrierService.LabelSpec(size: .a6, dpi: 203)
        #expect(spec.clock(forPostalCode: "1").name == "UTC")
        spec.timeZone = try #require(TimeZone(identifier: "Pacific/Easter"))
        #expect(spec.clock(forPostalCode: "1").name == "Easter time")
        spec.zonesByPostalCode = ["1": try #require(TimeZone(identifier: "America/Santiago"))]
        #expect(spec.clock(forPostalCode: "1").name == "Santiago time" && spec.clock(forPostalCode: "2").name == "Easter time")
    }
}
