import Foundation
import ReturnsCore
import Testing

@Suite("Tracking-number schemes and their check digits")
struct TrackingNumberSchemeTests {
    @Test("UPU S10 accepts the published example and refuses a wrong check digit")
    func s10PublishedExamples() {
        #expect(TrackingNumberScheme.isValidS10("RR123456785CN"))
        #expect(!TrackingNumberScheme.isValidS10("RB123456786US"))
        #expect(TrackingNumberScheme.s10CheckDigit("12345678") == 5)
    }

    @Test("a number typed in lower case is put in ASCII capitals only: a letter whose capital is two letters (ß, ﬁ) stays itself and matches no number")
    func typedCapitalsAreASCII() {
        #expect(TrackingNumberScheme.typed("ßs 1234 5678 5fr") == "ßS123456785FR")
        #expect(TrackingNumberScheme.typed("ﬁ123456785FR") == "ﬁ123456785FR")
        #expect(!TrackingNumberScheme.isValidS10(TrackingNumberScheme.typed("ß123456785FR")))
        #expect("Cy é ǆ z".asciiUppercased == "CY é ǆ Z")
        #expect("CY100".asciiUppercased == "CY100")
    }

    @Test("a number typed in groups with spaces or dashes, in lower case, reads as the stored number, and its check digit is judged on that")
    func typedInGroups() {
        #expect(TrackingNumberScheme.typed("rr 1234 5678 5cn") == "RR123456785CN")
        #expect(TrackingNumberScheme.typed("9400-1000-0000-0000-0000-00") == "9400100000000000000000")
        #expect(TrackingNumberScheme.isValidS10(TrackingNumberScheme.typed("RR-123-456-785-CN")))
        #expect(TrackingNumberScheme.checkDigitSlip(TrackingNumberScheme.typed("rr 1234 5678 6cn")) != nil)
    }

    @Test("UPU S10 maps a remainder of 10 to 0 and 11 to 5")
    func s10SpecialRemainders() throws {
        // Find serials whose raw check is 10 and 11 by brute force, then compare with the rule.
        var sawTen = false, sawEleven = false
        for serial in 10_000_000..<10_000_200 {
            let digits = String(serial)
            let sum = zip(digits.compactMap(\.wholeNumberValue), [8, 6, 4, 2, 3, 5, 9, 7]).reduce(0) { $0 + $1.0 * $1.1 }
            let raw = 11 - sum % 11
            if raw == 10 { sawTen = true; #expect(TrackingNumberScheme.s10CheckDigit(digits) == 0) }
            if raw == 11 { sawEleven = true; #expect(TrackingNumberScheme.s10CheckDigit(digits) == 5) }
        }
        #expect(sawTen && sawEleven)
    }

    @Test("UPU S10 refuses wrong shapes")
    func s10Shapes() {
        for bad in ["RR12345678CN", "rr123456785CN", "RR123456785C1", "RR1234567X5CN", "", "RR123456785CNX"] {
            #expect(!TrackingNumberScheme.isValidS10(bad), "\(bad)")
        }
    }

    @Test("USPS IMpb accepts the published example, weights 3,1 from the right")
    func impbPublishedExample() {
        #expect(TrackingNumberScheme.isValidIMpb("9400111206206406260787"))
        #expect(!TrackingNumberScheme.isValidIMpb("9400111206206406260788"))
        #expect(!TrackingNumberScheme.isValidIMpb("940011120620640626078"))
    }

    @Test("Russian Post domestic accepts the published example, weights 3,1 from the left")
    func russianPostPublishedExample() {
        #expect(TrackingNumberScheme.isValidRussianPostDomestic("14001293402154"))
        #expect(!TrackingNumberScheme.isValidRussianPostDomestic("14001293402155"))
        #expect(!TrackingNumberScheme.isValidRussianPostDomestic("1400129340215"))
    }

    @Test("numbers made by each scheme validate and differ by serial", arguments: [
        TrackingNumberScheme.upuS10(serviceIndicator: "CY", countryCode: "FR"),
        .uspsIMpb(prefix: "94001112062064"),
        .russianPostDomestic(originIndex: "140012"),
    ])
    func generatedNumbersValidate(scheme: TrackingNumberScheme) {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        var seen = Set<String>()
        for serial in [0, 1, 2, 99, 12345, min(scheme.maxSerial, 99_999)] {
            let n = scheme.trackingNumber(serial: serial, date: date)
            #expect(scheme.isValid(n), "\(n)")
            #expect(seen.insert(n).inserted)
        }
    }

    @Test("a code of a scheme's shape failing its check digit is named as that scheme's slip; valid numbers and other shapes are not")
    func slipsNamed() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        let schemes: [(TrackingNumberScheme, String)] = [
            (.upuS10(serviceIndicator: "CY", countryCode: "FR"), "UPU S10"), (.uspsIMpb(prefix: "9400111206"), "USPS IMpb"),
            (.russianPostDomestic(originIndex: "101000"), "Russian Post"),
        ]
        for (scheme, name) in schemes {
            for serial in [1, 4711, 99_999] {
                let n = Array(scheme.trackingNumber(serial: serial, date: date))
                #expect(TrackingNumberScheme.formatFailingCheckDigit(String(n)) == nil, "\(String(n))")
                for i in n.indices where n[i].isNumber {
                    var changed = n
                    changed[i] = Character(String((n[i].wholeNumberValue! + 3) % 10))
                    #expect(TrackingNumberScheme.formatFailingCheckDigit(String(changed)) == name, "\(String(changed))")
                }
            }
        }
        for other in ["CY10000004FR", "cy100000048fr", "RH7M-S115-8", "1234567890", "RT1:K1:P0", "CY1000000480FR", ""] {
            #expect(TrackingNumberScheme.formatFailingCheckDigit(other) == nil, "\(other)")
        }
    }

    @Test("a single changed digit is caught by every scheme")
    func singleDigitErrorsCaught() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        for scheme in [TrackingNumberScheme.upuS10(serviceIndicator: "RR", countryCode: "DE"), .uspsIMpb(prefix: "9400111206"), .russianPostDomestic(originIndex: "101000")] {
            let n = Array(scheme.trackingNumber(serial: 4711, date: date))
            for i in n.indices where n[i].isNumber {
                var changed = n
                changed[i] = Character(String((n[i].wholeNumberValue! + 3) % 10))
                #expect(!scheme.isValid(String(changed)), "\(String(changed))")
            }
        }
    }
}
