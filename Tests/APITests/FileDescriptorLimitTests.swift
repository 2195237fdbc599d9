@testable import API
import Glibc
import Testing

@Suite("Open files limit")
struct FileDescriptorLimitTests {
    @Test("the soft limit is raised to the hard one, as systemd's 1,024 under 524,288 asks")
    func raisesSoftToHard() throws {
        var limit = rlimit()
        try #require(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        try #require(limit.rlim_max > 256, "this machine's hard limit leaves nothing to raise")
        // One under the hard limit, not systemd's 1,024: the limit is the whole test process's,
        // and tests running beside this one failed to open their SQLite files ("unable to open
        // database file") while it stood at 256.
        var lowered = limit
        lowered.rlim_cur = limit.rlim_max - 1
        try #require(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered) == 0)
        let raised = FileDescriptorLimit.raise()
        var now = rlimit()
        _ = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &now)
        #expect(now.rlim_cur == limit.rlim_max)
        #expect(raised == (limit.rlim_max >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_max)))
    }

    @Test("connections are capped to what the limit leaves after the reserve, never below 1")
    func connections() {
        let reserve = FileDescriptorLimit.reserve(carriers: 17, concurrencyPerCarrier: 4, disputeConcurrency: 16)
        #expect(reserve == 256 + 68 + 16)
        #expect(FileDescriptorLimit.connections(configured: 1024, limit: 524_288, reserve: reserve) == 1024)
        #expect(FileDescriptorLimit.connections(configured: 1024, limit: 1024, reserve: reserve) == 684)
        #expect(FileDescriptorLimit.connections(configured: 1024, limit: 100, reserve: reserve) == 1)
    }
}
