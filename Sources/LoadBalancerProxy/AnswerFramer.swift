import NIOCore

/// Finds where each of an instance's answers begins and ends in the bytes of its connection
/// (RFC 9112 §6), so that the load balancer sends the answers on as they came instead of
/// decoding them into parts and encoding them again: a head is read once, and a body passes as
/// slices of the bytes read, chunk framing and trailers included. Only a client on HTTP/1.0
/// gets a chunked body without its framing (`dechunk`).
///
/// An answer that breaks the framing rules (two lengths, a length with a transfer coding, a
/// bad chunk size, a head over `maxHeadBytes`, an upgrade) is refused with a `Malformed`,
/// so the request fails over as if the instance had gone away.
struct AnswerFramer {
    /// The largest head an instance may send (nginx's default buffer is 4–8 KiB).
    static let maxHeadBytes = 64 << 10
    /// The longest chunk-size line, extensions included.
    static let maxChunkLineBytes = 4 << 10

    /// How the body of an answer ends.
    enum Framing: Equatable {
        /// No body: a HEAD request's answer, 204 or 304.
        case none
        /// After this many bytes.
        case length(Int)
        /// After the last chunk and its trailers.
        case chunked
        /// When the instance closes the connection.
        case untilClose
    }

    /// What the framer found in an answer's head.
    struct Head {
        /// The head as the instance sent it, up to and including the empty line.
        var bytes: ByteBuffer
        var status: Int
        /// The minor version of the instance's HTTP/1.x.
        var minorVersion: Int
        var framing: Framing
        /// Whether the instance keeps the connection open after this answer.
        var keepAlive: Bool
        /// Whether a header line must not be forwarded (hop-by-hop, or named by Connection).
        var hasHopByHop: Bool
        /// Whether the answer carries a Content-Length (an HTTP/1.0 client can keep its
        /// connection only then).
        var hasLength: Bool
        /// The whole body, when it came in the same read as the head (then no `.body` follows).
        var body: ByteBuffer?
        /// The head and that body as one slice of the bytes read, when they were side by side:
        /// sent on with one write.
        var whole: ByteBuffer?
    }

    /// What a client's Connection header says of its connection after an answer.
    enum ConnectionWord: String {
        case close
        case keepAlive = "keep-alive"
    }

    /// A part of an answer, in order.
    enum Event {
        case head(Head)
        /// Bytes to send on.
        case body(ByteBuffer)
        case end
    }

    /// Why an answer could not be framed.
    struct Malformed: Error, Equatable {
        var reason: String
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize(digits: Int, size: Int, lineBytes: Int)
        case chunkExtension(size: Int, lineBytes: Int)
        case chunkSizeLF(size: Int)
        case chunkData(remaining: Int)
        case chunkDataCR
        case chunkDataLF
        /// At the start of a trailer line, or of the empty line that ends the answer.
        case trailerStart(lineBytes: Int)
        case trailerLine(lineBytes: Int)
        case trailerLF(lineBytes: Int)
        case endLF
        case untilClose
    }

    private var state = State.head
    /// Bytes of a head that has not fully arrived.
    private var partialHead: ByteBuffer?
    /// How many of them were searched for the head's end.
    private var scannedHead = 0
    /// Whether the answer being read is to a HEAD request.
    private var toHeadRequest = false
    /// Whether chunk framing is taken off (for an HTTP/1.0 client).
    private var dechunk = false

    /// Reads `input` from the instance and tells `emit` each part found, up to the end of the
    /// answer (true) or of `input` (false). What is left in `input` after the end of an answer
    /// was sent before any request asked for it. `headRequest` and `dechunk` describe the
    /// request the answer is for. Throws `Malformed`.
    mutating func feed(_ input: inout ByteBuffer, headRequest: Bool, dechunk: Bool, _ emit: (Event) throws -> Void) throws -> Bool {
        if case .head = state {
            toHeadRequest = headRequest
            self.dechunk = dechunk
        }
        while input.readableBytes > 0 {
            switch state {
            case .head:
                let contiguous = partialHead == nil
                let read = input
                guard var head = try readHead(&input) else { return false }
                if head.status < 200 { continue }
                if case .length(let count) = head.framing, count > 0, count <= input.readableBytes {
                    // The usual small answer: all of it in one read.
                    head.body = input.readSlice(length: count)
                    if contiguous { head.whole = read.getSlice(at: read.readerIndex, length: input.readerIndex - read.readerIndex) }
                    try emit(.head(head))
                    try emit(.end)
                    return true
                }
                try emit(.head(head))
                switch head.framing {
                case .none, .length(0):
                    try emit(.end)
                    return true
                case .length(let count):
                    state = .body(remaining: count)
                case .chunked:
                    state = .chunkSize(digits: 0, size: 0, lineBytes: 0)
                case .untilClose:
                    state = .untilClose
                }
            case .body(let remaining):
                let count = min(remaining, input.readableBytes)
                if let slice = input.readSlice(length: count) { try emit(.body(slice)) }
                if count == remaining {
                    state = .head
                    try emit(.end)
                    return true
                }
                state = .body(remaining: remaining - count)
            case .untilClose:
                try emit(.body(input))
                input.moveReaderIndex(to: input.writerIndex)
            default:
                if try readChunked(&input, emit) { return true }
            }
        }
        return false
    }

    /// The instance closed its connection: ends an answer that lasts until then (true); false
    /// means the answer was cut short (or none was asked for).
    mutating func closed(_ emit: (Event) throws -> Void) rethrows -> Bool {
        guard case .untilClose = state else { return false }
        state = .head
        try emit(.end)
        return true
    }

    // MARK: Heads

    /// The head a client gets for `head`: its status line in the client's HTTP/1.x, without the
    /// headers that describe the instance's connection (and without Transfer-Encoding when the
    /// body is sent without its chunks), with the client's `connection` word when one must be
    /// said. Most answers need none of this and are sent on as they came (nil).
    static func clientHead(_ head: Head, clientMinorVersion: Int, connection: ConnectionWord?, withoutTransferEncoding: Bool,
                           allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard head.minorVersion != clientMinorVersion || head.hasHopByHop || connection != nil || withoutTransferEncoding else {
            return nil
        }
        var out = allocator.buffer(capacity: head.bytes.readableBytes + 32)
        head.bytes.withUnsafeReadableBytes { raw in
            let end = raw.count - 2
            out.writeStaticString("HTTP/1.")
            out.writeInteger(UInt8(ascii: "0") + UInt8(clientMinorVersion == 0 ? 0 : 1))
            var line = lineEnd(raw, from: 8, end: end)
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[8..<line + 2]))
            line += 2
            // Headers the Connection header names describe the connection too.
            var named: [UnsafeRawBufferPointer] = []
            var scan = line
            while scan < end {
                let stop = lineEnd(raw, from: scan, end: end)
                if let colon = UnsafeRawBufferPointer(rebasing: raw[scan..<stop]).firstIndex(of: UInt8(ascii: ":")),
                   equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[scan..<scan + colon]), "connection") {
                    forEachToken(UnsafeRawBufferPointer(rebasing: raw[scan + colon + 1..<stop])) { named.append($0) }
                }
                scan = stop + 2
            }
            while line < end {
                let stop = lineEnd(raw, from: line, end: end)
                let colon = UnsafeRawBufferPointer(rebasing: raw[line..<stop]).firstIndex(of: UInt8(ascii: ":")) ?? 0
                let name = UnsafeRawBufferPointer(rebasing: raw[line..<line + colon])
                let dropped = equalsIgnoringCase(name, "connection") || isHopByHop(name)
                    || (withoutTransferEncoding && equalsIgnoringCase(name, "transfer-encoding"))
                    || named.contains { equalsIgnoringCaseBytes(name, $0) }
                if !dropped { out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[line..<stop + 2])) }
                line = stop + 2
            }
        }
        if let connection {
            out.writeStaticString("connection: ")
            out.writeString(connection.rawValue)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
        return out
    }


    /// Reads a whole head from `input`, or keeps its start for the next read (nil).
    private mutating func readHead(_ input: inout ByteBuffer) throws -> Head? {
        if var partial = partialHead {
            partial.writeImmutableBuffer(input)
            input = partial
            partialHead = nil
        }
        guard let length = AnswerFramer.headLength(input, from: scannedHead - 3) else {
            guard input.readableBytes <= AnswerFramer.maxHeadBytes else {
                throw Malformed(reason: "its answer's head is over \(AnswerFramer.maxHeadBytes >> 10) KiB")
            }
            scannedHead = input.readableBytes
            partialHead = input
            input.moveReaderIndex(to: input.writerIndex)
            return nil
        }
        scannedHead = 0
        guard length <= AnswerFramer.maxHeadBytes, let bytes = input.readSlice(length: length) else {
            throw Malformed(reason: "its answer's head is over \(AnswerFramer.maxHeadBytes >> 10) KiB")
        }
        return try AnswerFramer.parseHead(bytes, toHeadRequest: toHeadRequest)
    }

    /// The length of the head at the start of `buffer` through its empty line, if it is all
    /// there; the search starts at `from` (what an earlier search saw need not be seen again).
    static func headLength(_ buffer: ByteBuffer, from: Int = 0) -> Int? {
        buffer.withUnsafeReadableBytes { raw -> Int? in
            var index = max(3, from)
            while index < raw.count {
                if raw[index] == UInt8(ascii: "\n"), raw[index - 1] == UInt8(ascii: "\r"), raw[index - 2] == UInt8(ascii: "\n"),
                   raw[index - 3] == UInt8(ascii: "\r") {
                    return index + 1
                }
                index += 1
            }
            return nil
        }
    }

    /// Reads the status line and the headers that decide the framing. `bytes` ends with CRLF CRLF.
    static func parseHead(_ bytes: ByteBuffer, toHeadRequest: Bool) throws -> Head {
        try bytes.withUnsafeReadableBytes { raw -> Head in
            let end = raw.count - 2
            // "HTTP/1.x SSS"
            guard raw.count >= 16, raw[0] == UInt8(ascii: "H"), raw[1] == UInt8(ascii: "T"), raw[2] == UInt8(ascii: "T"),
                  raw[3] == UInt8(ascii: "P"), raw[4] == UInt8(ascii: "/"), raw[5] == UInt8(ascii: "1"), raw[6] == UInt8(ascii: "."),
                  (UInt8(ascii: "0")...UInt8(ascii: "1")).contains(raw[7]), raw[8] == UInt8(ascii: " "),
                  let status = threeDigits(raw[9], raw[10], raw[11]), raw[12] == UInt8(ascii: " ") || raw[12] == UInt8(ascii: "\r") else {
                throw Malformed(reason: "its answer does not begin with an HTTP/1.x status line")
            }
            let minor = Int(raw[7] - UInt8(ascii: "0"))
            guard status >= 100, status != 101 else {
                throw Malformed(reason: status == 101 ? "it switched protocols, which the load balancer does not forward" : "its status \(status) is not a status")
            }
            var line = lineEnd(raw, from: 12, end: end) + 2
            var length: Int?
            var chunked = false
            var transferCoded = false
            var closeAsked = false
            var keepAliveAsked = false
            var hasHopByHop = false
            while line < end {
                let stop = lineEnd(raw, from: line, end: end)
                guard raw[line] != UInt8(ascii: " "), raw[line] != UInt8(ascii: "\t") else {
                    throw Malformed(reason: "its answer folds a header over two lines")
                }
                var colon = line
                while colon < stop, raw[colon] != UInt8(ascii: ":") {
                    guard isTokenByte(raw[colon]) else { throw Malformed(reason: "its answer has a header name with a space or control byte") }
                    colon += 1
                }
                guard colon < stop, colon > line else { throw Malformed(reason: "its answer has a header line without a name and colon") }
                var valueStart = colon + 1
                while valueStart < stop, raw[valueStart] == UInt8(ascii: " ") || raw[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
                var valueEnd = stop
                while valueEnd > valueStart, raw[valueEnd - 1] == UInt8(ascii: " ") || raw[valueEnd - 1] == UInt8(ascii: "\t") { valueEnd -= 1 }
                let name = UnsafeRawBufferPointer(rebasing: raw[line..<colon])
                let value = UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd])
                guard !value.contains(where: { ($0 < 0x20 && $0 != UInt8(ascii: "\t")) || $0 == 0x7f }) else {
                    throw Malformed(reason: "its answer has a control byte in a header value")
                }
                if equalsIgnoringCase(name, "content-length") {
                    let parsed = try contentLength(value)
                    if let length, length != parsed { throw Malformed(reason: "its answer has two different Content-Length headers") }
                    length = parsed
                } else if equalsIgnoringCase(name, "transfer-encoding") {
                    transferCoded = true
                    chunked = lastToken(value, is: "chunked")
                } else if equalsIgnoringCase(name, "connection") {
                    hasHopByHop = true
                    forEachToken(value) { token in
                        if equalsIgnoringCase(token, "close") { closeAsked = true }
                        else if equalsIgnoringCase(token, "keep-alive") { keepAliveAsked = true }
                    }
                } else if isHopByHop(name) {
                    hasHopByHop = true
                }
                line = stop + 2
            }
            if transferCoded, length != nil {
                throw Malformed(reason: "its answer has both Content-Length and Transfer-Encoding")
            }
            let framing: Framing
            if toHeadRequest || status < 200 || status == 204 || status == 304 {
                framing = .none
            } else if transferCoded {
                framing = chunked ? .chunked : .untilClose
            } else if let length {
                framing = .length(length)
            } else {
                framing = .untilClose
            }
            let keepAlive = framing != .untilClose && !closeAsked && (minor == 1 || keepAliveAsked)
            return Head(bytes: bytes, status: status, minorVersion: minor, framing: framing, keepAlive: keepAlive,
                        hasHopByHop: hasHopByHop, hasLength: length != nil && !transferCoded)
        }
    }

    /// The index of the CR that ends the line starting at `start` (`end` if there is none).
    private static func lineEnd(_ raw: UnsafeRawBufferPointer, from start: Int, end: Int) -> Int {
        var index = start
        while index < end, !(raw[index] == UInt8(ascii: "\r") && raw[index + 1] == UInt8(ascii: "\n")) { index += 1 }
        return index
    }

    private static func threeDigits(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard digits.contains(a), digits.contains(b), digits.contains(c) else { return nil }
        return Int(a - 48) * 100 + Int(b - 48) * 10 + Int(c - 48)
    }

    /// Whether a header (other than Connection) describes one connection, not the answer.
    static func isHopByHop(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 2: equalsIgnoringCase(name, "te")
        case 6: equalsIgnoringCase(name, "expect")
        case 7: equalsIgnoringCase(name, "trailer") || equalsIgnoringCase(name, "upgrade")
        case 10: equalsIgnoringCase(name, "keep-alive")
        case 16: equalsIgnoringCase(name, "proxy-connection")
        case 18: equalsIgnoringCase(name, "proxy-authenticate")
        case 19: equalsIgnoringCase(name, "proxy-authorization")
        default: false
        }
    }

    /// RFC 9110's token characters, as header names use them.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Whether `bytes` spell `lowercase` in any case.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] {
            return false
        }
        return true
    }

    /// Whether two header names are the same, ignoring case.
    static func equalsIgnoringCaseBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 | 0x20 == $1 | 0x20 }
    }

    /// A Content-Length value: digits (a list of equal ones is allowed, as RFC 9110 §8.6 says).
    private static func contentLength(_ value: UnsafeRawBufferPointer) throws -> Int {
        var result: Int?
        var current = 0
        var digits = 0
        func finish() throws {
            guard digits > 0 else { throw Malformed(reason: "its answer's Content-Length is not a number") }
            if let result, result != current { throw Malformed(reason: "its answer's Content-Length lists different numbers") }
            result = current
            current = 0
            digits = 0
        }
        for byte in value {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times, overflowTimes) = current.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int(byte - 48))
                guard !overflowTimes, !overflowSum else { throw Malformed(reason: "its answer's Content-Length is too large") }
                current = sum
                digits += 1
            case UInt8(ascii: ","):
                try finish()
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                break
            default:
                throw Malformed(reason: "its answer's Content-Length is not a number")
            }
        }
        try finish()
        return result ?? 0
    }

    /// Calls `body` with each comma-separated token of a header value, trimmed.
    private static func forEachToken(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= value.count {
            var stop = start
            while stop < value.count, value[stop] != UInt8(ascii: ",") { stop += 1 }
            var low = start
            var high = stop
            while low < high, value[low] == UInt8(ascii: " ") || value[low] == UInt8(ascii: "\t") { low += 1 }
            while high > low, value[high - 1] == UInt8(ascii: " ") || value[high - 1] == UInt8(ascii: "\t") { high -= 1 }
            if high > low { body(UnsafeRawBufferPointer(rebasing: value[low..<high])) }
            start = stop + 1
        }
    }

    /// Whether the last coding a Transfer-Encoding names is `coding`.
    private static func lastToken(_ value: UnsafeRawBufferPointer, is coding: StaticString) -> Bool {
        var last = false
        forEachToken(value) { last = equalsIgnoringCase($0, coding) }
        return last
    }

    // MARK: Chunks

    /// Walks the chunked body in `input`: passes its bytes on as they are (or only the chunks'
    /// data when `dechunk`), and ends the answer after the trailers' empty line (true).
    private mutating func readChunked(_ input: inout ByteBuffer, _ emit: (Event) throws -> Void) throws -> Bool {
        let read = input
        var dataSlices: [(offset: Int, length: Int)] = []
        let (consumed, ended) = try input.withUnsafeReadableBytes { raw throws -> (Int, Bool) in
            var index = 0
            while index < raw.count {
                let byte = raw[index]
                index += 1
                switch state {
                case .chunkSize(let digits, let size, let lineBytes):
                    if let value = AnswerFramer.hexValue(byte) {
                        guard digits < 15 else { throw Malformed(reason: "a chunk of its answer is too large") }
                        state = .chunkSize(digits: digits + 1, size: size << 4 | value, lineBytes: lineBytes + 1)
                    } else {
                        guard digits > 0 else { throw Malformed(reason: "a chunk size in its answer is not hexadecimal") }
                        switch byte {
                        case UInt8(ascii: "\r"): state = .chunkSizeLF(size: size)
                        case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"): state = .chunkExtension(size: size, lineBytes: lineBytes + 1)
                        default: throw Malformed(reason: "a chunk size in its answer is not hexadecimal")
                        }
                    }
                case .chunkExtension(let size, let lineBytes):
                    guard lineBytes < AnswerFramer.maxChunkLineBytes else { throw Malformed(reason: "a chunk line in its answer is too long") }
                    guard byte != UInt8(ascii: "\n") else { throw Malformed(reason: "a chunk line in its answer ends without CR") }
                    state = byte == UInt8(ascii: "\r") ? .chunkSizeLF(size: size) : .chunkExtension(size: size, lineBytes: lineBytes + 1)
                case .chunkSizeLF(let size):
                    guard byte == UInt8(ascii: "\n") else { throw Malformed(reason: "a chunk line in its answer ends without LF") }
                    state = size == 0 ? .trailerStart(lineBytes: 0) : .chunkData(remaining: size)
                case .chunkData(let remaining):
                    // The data is skipped over, not looked at.
                    index -= 1
                    let take = min(remaining, raw.count - index)
                    if dechunk { dataSlices.append((index, take)) }
                    index += take
                    state = take == remaining ? .chunkDataCR : .chunkData(remaining: remaining - take)
                case .chunkDataCR:
                    guard byte == UInt8(ascii: "\r") else { throw Malformed(reason: "a chunk of its answer is longer than its size") }
                    state = .chunkDataLF
                case .chunkDataLF:
                    guard byte == UInt8(ascii: "\n") else { throw Malformed(reason: "a chunk of its answer is longer than its size") }
                    state = .chunkSize(digits: 0, size: 0, lineBytes: 0)
                case .trailerStart(let lineBytes):
                    state = byte == UInt8(ascii: "\r") ? .endLF : .trailerLine(lineBytes: lineBytes + 1)
                case .trailerLine(let lineBytes):
                    guard lineBytes < AnswerFramer.maxHeadBytes else {
                        throw Malformed(reason: "its answer's trailers are over \(AnswerFramer.maxHeadBytes >> 10) KiB")
                    }
                    state = byte == UInt8(ascii: "\r") ? .trailerLF(lineBytes: lineBytes + 1) : .trailerLine(lineBytes: lineBytes + 1)
                case .trailerLF(let lineBytes):
                    guard byte == UInt8(ascii: "\n") else { throw Malformed(reason: "a trailer line in its answer ends without LF") }
                    state = .trailerStart(lineBytes: lineBytes + 1)
                case .endLF:
                    guard byte == UInt8(ascii: "\n") else { throw Malformed(reason: "its answer's last chunk ends without LF") }
                    state = .head
                    return (index, true)
                case .head, .body, .untilClose:
                    return (index - 1, false)
                }
            }
            return (index, false)
        }
        input.moveReaderIndex(forwardBy: consumed)
        if dechunk {
            for slice in dataSlices where slice.length > 0 {
                if let data = read.getSlice(at: read.readerIndex + slice.offset, length: slice.length) { try emit(.body(data)) }
            }
        } else if consumed > 0, let bytes = read.getSlice(at: read.readerIndex, length: consumed) {
            try emit(.body(bytes))
        }
        if ended { try emit(.end) }
        return ended
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
