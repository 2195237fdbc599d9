@testable import Carriers
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Text files an operator points returnd at")
final class TextFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    // A class, for this: each test's folder goes when its instance does.
    deinit { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func failure(_ path: String, limit: Int = 1 << 20) -> TextFile.Failure? {
        do { _ = try TextFile.read(path, limit: limit); return nil } catch { return error }
    }

    @Test("a created file holds its text with its mode, leaves nothing beside it, and never replaces a file already there")
    func create() throws {
        let keys = path("signing.keys")
        try TextFile.create(keys, holding: "K1 c2VjcmV0c2VjcmV0c2VjcmV0\n", mode: 0o600)
        #expect(try TextFile.read(keys) == "K1 c2VjcmV0c2VjcmV0c2VjcmV0\n")
        var info = stat()
        #expect(stat(keys, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(throws: TextFile.Failure(path: keys, reason: "cannot be created: File exists", doesNotExist: false)) {
            try TextFile.create(keys, holding: "K2 other\n", mode: 0o600)
        }
        #expect(try TextFile.read(keys) == "K1 c2VjcmV0c2VjcmV0c2VjcmV0\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["signing.keys"])
    }

    @Test("a file that cannot be created says why, and leaves nothing")
    func createFailure() throws {
        let missing = path("no-such-folder/signing.keys")
        #expect(throws: TextFile.Failure(path: missing, reason: "cannot be created: No such file or directory", doesNotExist: false)) {
            try TextFile.create(missing, holding: "K1 x\n", mode: 0o600)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("a UTF-8 file is read whole, across several reads")
    func readsText() throws {
        let text = "K1 " + String(repeating: "é", count: 20_000) + "\n"
        try text.write(toFile: path("keys"), atomically: true, encoding: .utf8)
        #expect(try TextFile.read(path("keys")) == text)
    }

    @Test("each way a file can be wrong is named, with its path")
    func failuresNamed() throws {
        try Data([0x4B, 0x31, 0x20, 0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: path("binary")))
        try Data(repeating: 0x41, count: 2_000).write(to: URL(fileURLWithPath: path("large")))
        #expect(mkfifo(path("fifo"), 0o600) == 0)
        let absent = failure(path("absent"))
        #expect(absent?.description == "\(path("absent")) does not exist")
        #expect(absent?.doesNotExist == true)
        #expect(failure(folder.path)?.reason == "is a folder, not a file")
        #expect(failure(path("binary"))?.reason == "is not UTF-8 text")
        #expect(failure(path("large"), limit: 1_000)?.reason == "is larger than 1000 bytes, too large for what returnd reads there")
        // Neither waits: a FIFO for a writer, /dev/zero for the end of an endless file.
        #expect(failure(path("fifo"))?.reason == "is not a regular file (a device, pipe or socket)")
        #expect(failure("/dev/zero")?.reason == "is not a regular file (a device, pipe or socket)")
        #expect(failure(path("binary"))?.doesNotExist == false)
    }

    @Test("permission denied says which user runs and whose the file is")
    func permissionDenied() throws {
        // Tests may run as root, whom no mode stops: the message is checked from the errno.
        try "x".write(toFile: path("secret"), atomically: true, encoding: .utf8)
        #expect(chmod(path("secret"), 0o600) == 0)
        let reason = TextFile.openFailure(path: path("secret"), errno: EACCES)
        #expect(reason == "cannot be read: permission denied (this process runs as uid \(geteuid()); the file is uid \(geteuid())'s, mode 600)")
    }

    @Test("a carrier file that is not text is reported with the others, not as a parse error")
    func carrierFileNotText() throws {
        try Data([0xC3, 0x28]).write(to: URL(fileURLWithPath: path("fr_bad.yaml")))
        do {
            _ = try CarrierCatalog.load(directory: folder.path)
            Issue.record("loaded a catalog from a file that is not text")
        } catch {
            #expect(error.errors == [CarrierFileError(file: path("fr_bad.yaml"), field: "-", message: "is not UTF-8 text")])
        }
    }
}
