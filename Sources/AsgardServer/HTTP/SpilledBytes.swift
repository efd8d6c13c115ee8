import Foundation
import Hummingbird
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Bytes kept in a file that has no name instead of in memory: an encoded answer of megabytes
/// (the whole instance list of a 100,000-instance region is 34 MB) then lives in the kernel's
/// page cache, which the kernel shares and can drop and read back, not in the console's
/// resident memory. The file's name is removed as soon as it is written; the file goes away
/// with the last answer still reading it.
final class SpilledBytes: Sendable {
    private let descriptor: Int32
    /// How many bytes it holds.
    let count: Int

    /// The bytes read per step of an answer: small enough that many answers at once hold
    /// little memory, large enough that a step costs little beside its bytes.
    static let chunk = 256 << 10

    /// Writes `data` to a new file in `directory`; nil when it cannot (no room, no directory),
    /// and the caller keeps the bytes in memory.
    init?(_ data: Data, in directory: String) {
        var template = Array((directory + "/.answer-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard descriptor >= 0 else { return nil }
        template.withUnsafeBufferPointer { buffer in _ = buffer.baseAddress.map { unlink($0) } }
        let written = data.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                guard let base = raw.baseAddress else { return false }
                let wrote = write(descriptor, base + done, raw.count - done)
                if wrote < 0 && errno == EINTR { continue }
                guard wrote > 0 else { return false }
                done += wrote
            }
            return true
        }
        guard written else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        count = data.count
    }

    deinit {
        close(descriptor)
    }

    /// The bytes as a response body, read from the file a chunk at a time on NIO's thread pool.
    var body: ResponseBody {
        ResponseBody(contentLength: count) { [self] writer in
            var offset = 0
            while offset < count {
                let length = min(Self.chunk, count - offset)
                let start = offset
                try await writer.write(try await NIOThreadPool.singleton.runIfActive { try self.read(at: start, length) })
                offset += length
            }
            try await writer.finish(nil)
        }
    }

    /// All the bytes, for gzipping them once.
    func data() throws -> Data {
        Data(buffer: try read(at: 0, count))
    }

    /// `length` bytes from `offset`.
    ///
    /// - Throws: `SpillReadFailed` when the file gives fewer (it cannot shrink, so only an I/O error).
    private func read(at offset: Int, _ length: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            var done = 0
            while done < length {
                guard let base = raw.baseAddress else { throw SpillReadFailed(errno: 0) }
                let got = pread(descriptor, base + done, length - done, off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { throw SpillReadFailed(errno: errno) }
                done += got
            }
            return done
        }
        return buffer
    }
}

/// A kept answer's file could not be read back.
struct SpillReadFailed: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "reading a kept answer back from its file failed: \(String(cString: strerror(errno)))" }
}

/// An encoded answer's bytes: in memory, or spilled to a file when large.
enum AnswerBytes: Sendable {
    case memory(ByteBuffer)
    case file(SpilledBytes)

    /// `data` in memory, or in a file of `directory` when it is `spillAbove` bytes or more
    /// (and the file can be written).
    init(_ data: Data, spillingTo directory: String?, above spillAbove: Int) {
        if let directory, data.count >= spillAbove, let spilled = SpilledBytes(data, in: directory) {
            self = .file(spilled)
        } else {
            self = .memory(ByteBuffer(bytes: data))
        }
    }

    /// How many bytes.
    var count: Int {
        switch self {
        case .memory(let buffer): buffer.readableBytes
        case .file(let spilled): spilled.count
        }
    }

    /// How many of them the process holds in memory.
    var inMemory: Int {
        if case .memory(let buffer) = self { return buffer.readableBytes }
        return 0
    }

    /// The bytes as a response body.
    var body: ResponseBody {
        switch self {
        case .memory(let buffer): ResponseBody(byteBuffer: buffer)
        case .file(let spilled): spilled.body
        }
    }

    /// All the bytes at once.
    func data() throws -> Data {
        switch self {
        case .memory(let buffer): Data(buffer: buffer)
        case .file(let spilled): try spilled.data()
        }
    }
}
