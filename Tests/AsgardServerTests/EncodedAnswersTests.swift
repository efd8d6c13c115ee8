import Foundation
import Testing

@testable import AsgardServer

/// The pieces of list answers that need no server: gzip against the system's gzip, the ETag
/// comparison of If-None-Match, and which Accept-Encoding takes gzip.
@Suite("Encoded answers")
struct EncodedAnswersTests {
    @Test func gzipOutputIsWhatTheSystemGzipReadsBack() throws {
        let text = Data((0..<5000).map { "{\"instanceId\": \"i-\(String($0, radix: 16))\", \"state\": \"InService\"}\n" }.joined().utf8)
        let zipped = try #require(Gzip.compress(text))
        #expect(zipped.count < text.count / 5)
        let path = NSTemporaryDirectory() + "gzip-test-\(UUID().uuidString).gz"
        try zipped.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let read = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && read == text)
        #expect(Gzip.compress(Data())?.isEmpty == false, "an empty body is a valid gzip member too")
    }

    @Test(arguments: [("gzip", true), ("br, gzip;q=0.5", true), ("GZIP", true), ("gzip;q=0", false), ("gzip; q=0.000", false),
                      ("deflate", false), ("x-gzip", true), ("", false)])
    func acceptEncoding(_ header: String, _ takesGzip: Bool) {
        #expect(Gzip.isAccepted(header) == takesGzip)
    }

    @Test func ifNoneMatchComparesWeaklyAndTakesLists() {
        let tag = EncodedAnswers.etag(of: Data("[]".utf8))
        #expect(tag.hasPrefix("\"") && tag.count == 34)
        #expect(EncodedAnswers.matches(tag, etag: tag))
        #expect(EncodedAnswers.matches("W/\(tag)", etag: tag))
        #expect(EncodedAnswers.matches("\"other\", \(tag)", etag: tag))
        #expect(EncodedAnswers.matches("*", etag: tag))
        #expect(!EncodedAnswers.matches("\"other\"", etag: tag))
        #expect(!EncodedAnswers.matches(nil, etag: tag))
    }
}

extension EncodedAnswersTests {
    @Test func theKeyOfAQueryHoldsEveryFieldAndValueInOneOrder() {
        let one = FormFields(urlEncoded: "offset=1000&limit=10&app=a%20b")
        let other = FormFields(urlEncoded: "limit=10&app=a+b&offset=1000")
        #expect(one.canonicalQuery == "app=a%20b&limit=10&offset=1000")
        #expect(one.canonicalQuery == other.canonicalQuery)
        #expect(FormFields(urlEncoded: "limit=10&offset=0").canonicalQuery != FormFields(urlEncoded: "limit=10&offset=1000").canonicalQuery)
    }
}
