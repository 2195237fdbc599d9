import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads the small text files an operator points returnd at (carrier files, signing keys, the
/// webhook secret, carrier credentials), with errors that say what to fix. Foundation's own
/// say "The file isn't in the correct format" for bytes that are not UTF-8,
/// "NSCocoaErrorDomain error 256" for a folder and "You don't have permission" for a FIFO.
/// Only regular files are read, and only up to a limit, so nothing can make the read endless.
public enum TextFile {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var path: String
        /// What is wrong, to follow the path: "does not exist", "is not UTF-8 text", ...
        public var reason: String
        /// The path names nothing: for a caller that treats an absent file on its own.
        public var doesNotExist: Bool
        public var description: String { "\(path) \(reason)" }
    }

    /// A path as configured, and where that is when it is relative: a service's working
    /// directory is not the operator's shell's.
    public static func shown(_ path: String) -> String {
        path.hasPrefix("/") ? path : "\(path) (\(URL(fileURLWithPath: path).standardizedFileURL.path))"
    }

    /// The file's text, at most `limit` bytes of UTF-8.
    public static func read(_ path: String, limit: Int = 1 << 20) throws(Failure) -> String {
        func fail(_ reason: String, absent: Bool = false) -> Failure { Failure(path: path, reason: reason, doesNotExist: absent) }
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer. A regular file ignores it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            throw fail(openFailure(path: path, errno: code), absent: code == ENOENT)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail("cannot be read: \(String(cString: strerror(errno)))") }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw fail("is a folder, not a file")
        default: throw fail("is not a regular file (a device, pipe or socket)")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot be read: \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw fail("is larger than \(limit) bytes, too large for what returnd reads there") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("is not UTF-8 text") }
        return text
    }

    /// Creates `path` holding `text`, whole and on disk before it returns: written to a file of
    /// its own in the same folder with `mode` from the start, synced, linked in under `path`
    /// (which must not exist yet) and the folder synced. For the secrets returnd makes on first
    /// start: a signing key must not be lost to a power cut after labels were signed with it.
    /// (FileManager's `createFile` opened its file 0666 less the umask before setting the mode,
    /// did not sync the folder, renamed over an existing file, and returned only false.)
    public static func create(_ path: String, holding text: String, mode: mode_t) throws(Failure) {
        func fail(_ what: String, _ code: Int32) -> Failure {
            Failure(path: path, reason: "cannot be created: \(what)\(String(cString: strerror(code)))", doesNotExist: false)
        }
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        // Its own name per call: two callers at once (two instances, or two threads) never share it.
        let temporary = "\(path).new-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw fail("", errno) }
        var linked = false
        defer { if !linked { unlink(temporary) } }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { let code = errno; close(fd); throw fail("", code) }
            offset += n
        }
        guard fsync(fd) == 0 else { let code = errno; close(fd); throw fail("sync: ", code) }
        close(fd)
        // link, not rename: a file another process made at `path` meanwhile is kept, not replaced.
        guard link(temporary, path) == 0 else { throw fail("", errno) }
        linked = true
        unlink(temporary)
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw fail("its folder: ", errno) }
        defer { close(dir) }
        guard fsync(dir) == 0 else { throw fail("sync of its folder: ", errno) }
    }

    static func openFailure(path: String, errno code: Int32) -> String {
        switch code {
        case ENOENT: return "does not exist"
        case EACCES:
            // Under systemd returnd runs as a user of its own: say whose the file is.
            var info = stat()
            let owner = stat(path, &info) == 0 ? "; the file is uid \(info.st_uid)'s, mode \(String(info.st_mode & 0o7777, radix: 8))" : ""
            return "cannot be read: permission denied (this process runs as uid \(geteuid())\(owner))"
        default: return "cannot be read: \(String(cString: strerror(code)))"
        }
    }
}
