import Carriers

// A carrier file as an operator might break it: any bytes must give a list of file/field errors
// or a catalog, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCarrierFiles(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let catalog = try CarrierCatalog.parse(files: [(path: "fuzz.yaml", text: text)])
        precondition(catalog.services.count == 1, "one file gave \(catalog.services.count) services")
    } catch {
        precondition(!error.errors.isEmpty, "a refusal without a reason")
        precondition(error.errors.allSatisfy { $0.file == "fuzz.yaml" }, "an error names another file")
    }
    return 0
}
