import API
import Foundation

// returnd.yaml as an operator might break it at 3 a.m.: any bytes either load into settings
// inside their documented ranges or give a sentence that names the file, never a crash or a hang.
// The input goes through a real file and the daemon's own loader (swift-configuration's YAML
// provider under the RETURND_* environment layer), as `returnd` and `returnctl` read it.
let path = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-fuzz-\(getpid()).yaml").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size)) else {
        fatalError("cannot write \(path)")
    }
    // libFuzzer calls in synchronously; the loader is async (it reads the file through
    // swift-configuration's FileProvider).
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            check(try await ReturndConfiguration.load(file: path, environment: [:]))
        } catch {
            let message = "\(error)"
            precondition(message.hasPrefix(path), "a refusal that does not name the file: \(message)")
        }
        done.signal()
    }
    done.wait()
    return 0
}

/// What the loader promises the services it configures.
func check(_ c: ReturndConfiguration) {
    precondition((1...65535).contains(c.httpPort), "port \(c.httpPort)")
    precondition(c.maxConnections >= 1 && c.maxRequestBodyBytes >= 1024, "limits")
    precondition(c.idleTimeout > .zero && c.requestHeadTimeout > .zero && c.shutdownTimeout > .zero, "timeouts")
    precondition(c.notifier.concurrency >= 1 && c.notifier.requestTimeout > .zero && c.notifier.baseBackoff > .zero, "notifier")
    precondition(c.notifier.maxBackoff > .zero && c.notifier.deadLetterAfter > .zero, "notifier backoff")
    precondition(c.tracking.concurrencyPerCarrier >= 1 && c.tracking.batchLimit >= 1 && c.tracking.lease > 0, "tracking")
    precondition(c.tracking.requestTimeout > .zero && c.tracking.idleInterval > .zero, "tracking timing")
    precondition(c.deadlines.interval > .zero && c.deadlines.arrivalUnconfirmedAfter > .zero, "timers")
    precondition(c.inspectionOverdueAfter > .zero, "inspection overdue")
    precondition(c.policy.windowDays >= 1 && c.policy.maxItemsPerRequest >= 1, "policy")
}
