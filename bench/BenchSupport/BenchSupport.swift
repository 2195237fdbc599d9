import Foundation

// What every benchmark executable needs: its options, durations in seconds, its own CPU time,
// and the switch that lets `perf` record only the timed phase.

/// The value after `name` on the command line (`--count 20000`), or nil.
public func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    return arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}

public func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// CPU seconds this process has used (user + system, all threads), to report CPU per operation
/// next to the rate: it moves far less between runs than the rate does.
public func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// For profiling the timed phase alone: run under `perf record --control fifo:F -D -1` with
/// RETURND_PERF_FIFO=F, and the benchmark writes "enable" and "disable" around that phase.
public func perf(_ command: String) {
    guard let fifo = ProcessInfo.processInfo.environment["RETURND_PERF_FIFO"], let handle = FileHandle(forWritingAtPath: fifo) else { return }
    handle.write(Data("\(command)\n".utf8))
    try? handle.close()
}

/// A wrong option or a missing file is the caller's mistake, not a crash: say what is wrong on
/// stderr and exit with status 2, without a backtrace.
public func fail(_ message: String) -> Never {
    let name = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "benchmark"
    FileHandle.standardError.write(Data("\(name): \(message)\n".utf8))
    exit(2)
}

/// The value after `name` read as a `T`, or `fallback` when `name` is not given; fails with a
/// message when the value is missing or does not read as a `T` (`--count 2O000`).
public func option<T: LosslessStringConvertible>(_ name: String, default fallback: T) -> T {
    guard CommandLine.arguments.contains(name) else { return fallback }
    guard let text = option(name) else { fail("\(name) needs a value") }
    guard let value = T(text) else { fail("\(name): cannot read \"\(text)\" as \(T.self)") }
    return value
}

/// The value after `name`; fails with a message when it is not given.
public func requiredOption(_ name: String) -> String {
    guard let value = option(name) else { fail("\(name) is required") }
    return value
}

/// `body`'s result, or a failure that says what was being done and why it failed.
public func orFail<T>(_ what: String, _ body: () throws -> T) -> T {
    do { return try body() } catch { fail("\(what): \(error)") }
}
