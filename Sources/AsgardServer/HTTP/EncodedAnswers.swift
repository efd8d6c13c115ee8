import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// JSON list answers encoded once per cache generation and served as bytes until the cache
/// changes, with an ETag (a hash of the bytes, so every console holding the same data gives the
/// same tag) answered 304 to a matching `If-None-Match`, and gzip for clients that take it.
/// A provider without a cache generation (the local cloud reads its store on each call) gets the
/// ETag and gzip, but its answers are encoded anew each time.
final class EncodedAnswers: Sendable {
    /// One encoded answer and the generation it was encoded at.
    struct Entry: Sendable {
        var generation: UInt64
        var body: ByteBuffer
        var etag: String
        /// How many matched, for `X-Total-Count` (lists only).
        var total: Int?
        var gzipped: ByteBuffer?
        var lastUsed: UInt64
        var bytes: Int { body.readableBytes + (gzipped?.readableBytes ?? 0) }

        /// A new answer of `data`, tagged with its hash, not yet gzipped or used.
        init(_ data: Data, total: Int?, generation: UInt64) {
            self.generation = generation
            body = ByteBuffer(bytes: data)
            etag = EncodedAnswers.etag(of: data)
            self.total = total
            gzipped = nil
            lastUsed = 0
        }
    }

    private struct Kept {
        var entries: [String: Entry] = [:]
        /// Builds running now, by key.
        var building: [String: (generation: UInt64, task: Task<Entry, any Error>)] = [:]
        var uses: UInt64 = 0
        var bytes = 0
    }

    private let kept = Mutex(Kept())
    /// At most this many answers are kept (distinct queries beyond it push out the least used).
    let maxEntries: Int
    /// At most this many bytes, bodies and their gzipped forms together.
    let maxBytes: Int

    /// Creates an empty store of answers.
    init(maxEntries: Int = 256, maxBytes: Int = 256 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// Answers a list request: the bytes kept for `key` and this query at `generation`, or what
    /// `build` encodes (the JSON and how many matched, for `X-Total-Count`).
    func answer(_ input: RouteInput, key: String, generation: UInt64?,
                build: @escaping @Sendable () async throws -> (body: Data, total: Int?)) async throws -> Response {
        let fullKey = key + "?" + input.fields.canonicalQuery
        let entry: Entry
        if let generation {
            entry = try await kept(fullKey, generation: generation, build: build)
        } else {
            let (data, total) = try await build()
            entry = Entry(data, total: total, generation: 0)
        }
        var headers = HTTPFields()
        headers[.eTag] = entry.etag
        headers[.cacheControl] = "no-cache"
        headers[.vary] = "Accept-Encoding"
        if let total = entry.total { headers[HTTPField.Name("X-Total-Count")!] = String(total) }
        if Self.matches(input.request.headers[.ifNoneMatch], etag: entry.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json; charset=utf-8"
        var body = entry.body
        if body.readableBytes >= 1024, Gzip.isAccepted(input.request.headers[.acceptEncoding]) {
            if let gzipped = entry.gzipped {
                body = gzipped
                headers[.contentEncoding] = "gzip"
            } else if let compressed = Gzip.compress(Data(buffer: entry.body)) {
                let buffer = ByteBuffer(bytes: compressed)
                if generation != nil { keepGzipped(fullKey, buffer, generation: entry.generation) }
                body = buffer
                headers[.contentEncoding] = "gzip"
            }
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// How many answers are kept now, and their bytes.
    var size: (entries: Int, bytes: Int) { kept.withLock { ($0.entries.count, $0.bytes) } }

    /// The answer kept for `key` at `generation`, or the one being built for it (requests that
    /// arrive together share one build), or a new build, kept.
    private func kept(_ key: String, generation: UInt64, build: @escaping @Sendable () async throws -> (body: Data, total: Int?)) async throws -> Entry {
        if let found = lookUp(key, generation: generation) { return found }
        let building = kept.withLock { kept -> Task<Entry, any Error> in
            if let running = kept.building[key], running.generation == generation { return running.task }
            let task = Task {
                let (data, total) = try await build()
                return Entry(data, total: total, generation: generation)
            }
            kept.building[key] = (generation, task)
            return task
        }
        do {
            let entry = try await building.value
            keep(key, entry)
            kept.withLock { if $0.building[key]?.generation == generation { $0.building[key] = nil } }
            return entry
        } catch {
            kept.withLock { if $0.building[key]?.generation == generation { $0.building[key] = nil } }
            throw error
        }
    }

    private func lookUp(_ key: String, generation: UInt64) -> Entry? {
        kept.withLock { kept in
            guard var entry = kept.entries[key], entry.generation == generation else { return nil }
            kept.uses &+= 1
            entry.lastUsed = kept.uses
            kept.entries[key] = entry
            return entry
        }
    }

    private func keep(_ key: String, _ entry: Entry) {
        guard entry.bytes <= maxBytes / 4 else { return }
        kept.withLock { kept in
            kept.uses &+= 1
            var entry = entry
            entry.lastUsed = kept.uses
            if let old = kept.entries[key] { kept.bytes -= old.bytes }
            kept.entries[key] = entry
            kept.bytes += entry.bytes
            trim(&kept)
        }
    }

    private func keepGzipped(_ key: String, _ gzipped: ByteBuffer, generation: UInt64) {
        kept.withLock { kept in
            guard var entry = kept.entries[key], entry.generation == generation, entry.gzipped == nil else { return }
            entry.gzipped = gzipped
            kept.entries[key] = entry
            kept.bytes += gzipped.readableBytes
            trim(&kept)
        }
    }

    /// Pushes out the least recently used answers until the limits hold.
    private func trim(_ kept: inout Kept) {
        while kept.entries.count > maxEntries || kept.bytes > maxBytes {
            guard let oldest = kept.entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) else { return }
            kept.bytes -= oldest.value.bytes
            kept.entries[oldest.key] = nil
        }
    }

    /// A strong ETag: the first 128 bits of the body's SHA-256, quoted.
    static func etag(of data: Data) -> String {
        "\"" + SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// Whether `If-None-Match` names `etag` (weakly compared, as RFC 9110 asks for GET) or is `*`.
    static func matches(_ ifNoneMatch: String?, etag: String) -> Bool {
        guard let ifNoneMatch else { return false }
        return ifNoneMatch.split(separator: ",").contains { tag in
            var tag = tag.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}
