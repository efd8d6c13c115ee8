import AsgardCore
@testable import LoadBalancerProxy
import NIOCore
import Testing

@Suite("Answer framer")
struct AnswerFramerTests {
    /// What a framer made of an answer's bytes.
    struct Read {
        var heads: [AnswerFramer.Head] = []
        var body: [UInt8] = []
        var ends = 0
        var endedByFeed = false
        var leftover = 0
    }

    /// Feeds `bytes` in pieces cut at `cuts`, as reads from a socket would bring them.
    static func read(_ bytes: [UInt8], cuts: [Int] = [], headRequest: Bool = false, dechunk: Bool = false,
                     framer: inout AnswerFramer) throws -> Read {
        var result = Read()
        let bounds = [0] + cuts.filter { $0 > 0 && $0 < bytes.count }.sorted() + [bytes.count]
        for (from, to) in zip(bounds, bounds.dropFirst()) where from < to {
            var input = ByteBuffer(bytes: bytes[from..<to])
            let ended = try framer.feed(&input, headRequest: headRequest, dechunk: dechunk) { event in
                switch event {
                case .head(let head):
                    result.heads.append(head)
                    result.body += head.body?.readableBytesView ?? []
                case .body(let buffer): result.body += buffer.readableBytesView
                case .end: result.ends += 1
                }
            }
            if ended {
                result.endedByFeed = true
                result.leftover += input.readableBytes + (bytes.count - to)
                break
            }
        }
        return result
    }

    static func read(_ text: String, cuts: [Int] = [], headRequest: Bool = false, dechunk: Bool = false) throws -> Read {
        var framer = AnswerFramer()
        return try read(Array(text.utf8), cuts: cuts, headRequest: headRequest, dechunk: dechunk, framer: &framer)
    }

    @Test func aLengthDelimitedAnswerPassesAsItCameWhereverTheReadsAreCut() throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n\r\n"
        let text = head + "abcdefghijklmnopqrstuvwxyz"
        for cut in 0...text.utf8.count {
            let read = try Self.read(text, cuts: [cut])
            #expect(read.heads.count == 1 && read.ends == 1 && read.endedByFeed && read.leftover == 0)
            #expect(read.heads.first.map { String(buffer: $0.bytes) } == head)
            #expect(read.heads.first?.framing == .length(26) && read.heads.first?.keepAlive == true && read.heads.first?.hasLength == true)
            #expect(read.heads.first?.hasHopByHop == false)
            #expect(String(decoding: read.body, as: UTF8.self) == "abcdefghijklmnopqrstuvwxyz")
            // All in one read: head and body go on as one slice.
            let oneRead = cut == 0 || cut >= text.utf8.count
            #expect(read.heads.first?.whole.map { String(buffer: $0) } == (oneRead ? text : nil))
        }
    }

    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    static let chunkedBody = "5;name=value\r\nhello\r\n19\r\n, and twenty-one bytes.!!\r\n0\r\nX-Checksum: 42\r\n\r\n"

    @Test func aChunkedAnswerPassesWithItsFramingOrWithoutItForAnHTTP10Client() throws {
        let text = Self.chunked + Self.chunkedBody
        for cut in 0...text.utf8.count {
            for second in [cut + 1, cut + 7] {
                let raw = try Self.read(text, cuts: [cut, second])
                #expect(raw.heads.first?.framing == .chunked && raw.ends == 1 && raw.leftover == 0)
                #expect(String(decoding: raw.body, as: UTF8.self) == Self.chunkedBody)
                let plain = try Self.read(text, cuts: [cut, second], dechunk: true)
                #expect(String(decoding: plain.body, as: UTF8.self) == "hello, and twenty-one bytes.!!")
                #expect(plain.ends == 1)
            }
        }
    }

    /// Random answers, one after another on one connection, cut into random reads: each comes
    /// out whole, and nothing leaks from one answer into the next.
    @Test func randomAnswersOnOneConnectionComeOutWhole() throws {
        var random = SplitMix64(seed: 19)
        var framer = AnswerFramer()
        for round in 0..<300 {
            let payload = (0..<Int(random.next() % 3000)).map { _ in UInt8(random.next() % 256) }
            var bytes: [UInt8]
            let isChunked = round % 2 == 1
            if isChunked {
                bytes = Array("HTTP/1.1 201 Created\r\ntransfer-encoding: gzip, Chunked\r\n\r\n".utf8)
                var rest = payload[...]
                while !rest.isEmpty {
                    let size = min(rest.count, 1 + Int(random.next() % 700))
                    bytes += Array(String(size, radix: 16, uppercase: round % 4 == 1).utf8) + [13, 10] + rest.prefix(size) + [13, 10]
                    rest = rest.dropFirst(size)
                }
                bytes += Array("0\r\n\r\n".utf8)
            } else {
                bytes = Array("HTTP/1.1 200 OK\r\ncontent-length: \(payload.count)\r\n\r\n".utf8) + payload
            }
            let cuts = (0..<Int(random.next() % 6)).map { _ in Int(random.next() % UInt64(bytes.count + 1)) }
            let read = try Self.read(bytes, cuts: cuts, dechunk: true, framer: &framer)
            #expect(read.heads.count == 1 && read.ends == 1 && read.leftover == 0, "round \(round)")
            #expect(read.body.count == payload.count && read.body == payload, "round \(round): \(isChunked ? "chunked" : "length") answer of \(payload.count) bytes cut at \(cuts)")
        }
    }

    @Test func answersWithoutABodyEndAtTheirHeadAndInformationalOnesAreSkipped() throws {
        let head = try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", headRequest: true)
        #expect(head.heads.first?.framing == AnswerFramer.Framing.none && head.ends == 1 && head.body.isEmpty)
        for status in ["204 No Content", "304 Not Modified"] {
            let read = try Self.read("HTTP/1.1 \(status)\r\nETag: \"x\"\r\n\r\n")
            #expect(read.heads.first?.framing == AnswerFramer.Framing.none && read.ends == 1)
        }
        let early = try Self.read("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", cuts: [20, 40])
        #expect(early.heads.map(\.status) == [200] && String(decoding: early.body, as: UTF8.self) == "ok" && early.ends == 1)
        // Bytes past the end were not asked for.
        let extra = try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")
        #expect(extra.endedByFeed && extra.leftover == 17)
    }

    @Test func anAnswerWithoutLengthLastsUntilTheInstanceCloses() throws {
        var framer = AnswerFramer()
        var read = try Self.read(Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it".utf8), cuts: [30, 50], framer: &framer)
        #expect(read.heads.first?.framing == .untilClose && read.heads.first?.keepAlive == false && read.ends == 0)
        #expect(framer.closed { if case .end = $0 { read.ends += 1 } })
        #expect(read.ends == 1 && String(decoding: read.body, as: UTF8.self) == "all of it")
        var cut = AnswerFramer()
        _ = try Self.read(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\npart".utf8), framer: &cut)
        #expect(!cut.closed { _ in })
    }

    @Test func theConnectionWordsDecideWhetherTheInstanceKeepsItsConnection() throws {
        #expect(try Self.read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").heads.first?.keepAlive == false)
        #expect(try Self.read("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").heads.first?.keepAlive == false)
        #expect(try Self.read("HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").heads.first?.keepAlive == true)
        #expect(try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 0, 0\r\n\r\n").heads.first?.framing == .length(0))
    }

    @Test(arguments: [
        ("<html>hello</html>\r\n\r\n", "does not begin with an HTTP/1.x status line"),
        ("HTTP/2 200 OK\r\n\r\n", "does not begin with an HTTP/1.x status line"),
        ("HTTP/1.1 2x0 OK\r\n\r\n", "does not begin with an HTTP/1.x status line"),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "switched protocols"),
        ("HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", "folds a header"),
        ("HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n", "space or control byte"),
        ("HTTP/1.1 200 OK\r\nX-A: one\u{0}two\r\n\r\n", "control byte in a header value"),
        ("HTTP/1.1 200 OK\r\n: no name\r\n\r\n", "without a name"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "two different Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n", "lists different numbers"),
        ("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", "not a number"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", "too large"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not hexadecimal"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", "too large"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "longer than its size"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n", "not hexadecimal"),
    ])
    func answersThatBreakTheFramingRulesAreRefused(answer: String, reason: String) throws {
        #expect {
            _ = try Self.read(answer)
        } throws: { error in
            (error as? AnswerFramer.Malformed)?.reason.contains(reason) == true
        }
    }

    @Test func aHeadOver64KiBIsRefusedEvenWhenItArrivesAByteAtATime() throws {
        let head = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789abcdef0123456789abcdef\r\n", count: 1700)
        #expect(throws: AnswerFramer.Malformed.self) { _ = try Self.read(head + "\r\n") }
        var framer = AnswerFramer()
        #expect(throws: AnswerFramer.Malformed.self) {
            _ = try Self.read(Array(head.utf8), cuts: Array(stride(from: 1, to: head.utf8.count, by: 512)), framer: &framer)
        }
    }

    @Test func aClientGetsTheHeadAsItCameUnlessItsVersionOrTheConnectionWordsDiffer() throws {
        let plain = try #require(try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").heads.first)
        #expect(AnswerFramer.clientHead(plain, clientMinorVersion: 1, connection: nil, withoutTransferEncoding: false, allocator: ByteBufferAllocator()) == nil)

        let busy = try #require(try Self.read("""
            HTTP/1.1 200 OK\r
            Connection: keep-alive, X-Session\r
            Keep-Alive: timeout=5\r
            X-Session: 7\r
            Transfer-Encoding: chunked\r
            Content-Type: text/plain\r
            \r

            """).heads.first)
        #expect(busy.hasHopByHop)
        let forOld = try #require(AnswerFramer.clientHead(busy, clientMinorVersion: 0, connection: .close, withoutTransferEncoding: true, allocator: ByteBufferAllocator()))
        #expect(String(buffer: forOld) == "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nconnection: close\r\n\r\n")
        let forNew = try #require(AnswerFramer.clientHead(busy, clientMinorVersion: 1, connection: nil, withoutTransferEncoding: false,
                                                          allocator: ByteBufferAllocator()))
        #expect(String(buffer: forNew) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n")
    }
}
