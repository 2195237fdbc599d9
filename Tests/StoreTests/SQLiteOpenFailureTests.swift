import Foundation
import Store
import Testing

@Suite("A SQLite store that cannot be opened")
struct SQLiteOpenFailureTests {
    func refusal(_ path: String) -> String? {
        do { _ = try SQLReturnStore.sqlite(path: path); return nil } catch { return "\(error)" }
    }

    @Test("a folder, or a file that is not SQLite, is named for what it is, with its path, not as SQLite's 'unable to open database file'")
    func namedForWhatItIs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-open-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let junk = folder.appendingPathComponent("junk.sqlite")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }).write(to: junk)
        #expect(refusal(folder.path) == "cannot open the SQLite store: \(folder.path) is a folder, not a SQLite file")
        #expect(refusal(junk.path) == "cannot open the SQLite store: \(junk.path) is not a SQLite database (or is encrypted)")
        // Not touched: the junk is still all there, for whoever put it there by mistake.
        #expect(try Data(contentsOf: junk).count == 4096)
    }
}
