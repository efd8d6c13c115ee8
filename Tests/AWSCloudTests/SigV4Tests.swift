import AWSCloud
import Foundation
import Testing

@Suite("SigV4 and the Query protocol")
struct SigV4Tests {
    static let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static func date(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.date(from: text)!
    }

    static func signature(_ headers: [(String, String)]) -> String? {
        headers.first { $0.0 == "Authorization" }?.1.components(separatedBy: "Signature=").last
    }

    @Test func theSigV4TestSuitesGetVanillaVector() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        let added = signer.sign(method: "GET", url: URL(string: "https://example.amazonaws.com/")!, headers: [("Host", "example.amazonaws.com")],
                                body: Data(), date: Self.date("20150830T123600Z"))
        #expect(Self.signature(added) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(added.first { $0.0 == "Authorization" }?.1.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ") == true)
    }

    @Test func theIAMListUsersExampleOfAWSsDocumentation() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "iam")
        let added = signer.sign(method: "GET", url: URL(string: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")!,
                                headers: [("Host", "iam.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                body: Data(), date: Self.date("20150830T123600Z"))
        #expect(Self.signature(added) == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    @Test func theSecretNeverShows() {
        #expect(!"\(Self.credentials)".contains("wJalrXUtnFEMI"))
    }

    @Test func queryBodiesEncodeLikeFormsWithAPlusForASpace() {
        #expect(QueryEncoding.body([("Action", "CreateTags"), ("Tag.1.Value", "a b/c:d=é~*")]) == "Action=CreateTags&Tag.1.Value=a+b%2Fc%3Ad%3D%C3%A9~%2A")
    }

    /// A fixed pseudo-random sequence, so that every run signs the same requests.
    struct Sequence {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test func ourSignaturesMatchBotocoresOnManyRandomRequests() throws {
        var random = Sequence(state: 42)
        let alphabet = Array("abcXYZ019-_.~ /:=&+*é%!'()")
        func text(_ length: Int) -> String { String((0..<length).map { _ in alphabet[random.next(alphabet.count)] }) }
        var cases: [[String: Any]] = []
        var ours: [String] = []
        for index in 0..<300 {
            let service = ["ec2", "autoscaling", "elasticloadbalancing", "monitoring", "iam"][random.next(5)]
            let region = ["us-east-1", "eu-west-1", "ap-southeast-2"][random.next(3)]
            let method = random.next(3) == 0 ? "GET" : "POST"
            var query: [(String, String)] = []
            for _ in 0..<random.next(4) { query.append(("P\(random.next(9))", text(random.next(8)))) }
            let queryText = query.map { "\($0.0)=\(SigV4Signer.percentEncoded($0.1))" }.joined(separator: "&")
            let path = random.next(2) == 0 ? "/" : "/a\(random.next(99))/b-\(random.next(9)).x"
            let url = "https://\(service).\(region).amazonaws.com\(path)" + (query.isEmpty ? "" : "?\(queryText)")
            let body = method == "POST" ? QueryEncoding.body([("Action", "Describe\(index)"), ("Version", "2011-01-01"), ("Name", text(random.next(12)))]) : ""
            var headers = [("Host", "\(service).\(region).amazonaws.com")]
            if method == "POST" { headers.append(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")) }
            if random.next(3) == 0 { headers.append(("X-Amz-Meta-Note", "  spaced   out  value ")) }
            let day = 1 + random.next(28)
            let stamp = String(format: "202611%02dT%02d%02d%02dZ", day, random.next(24), random.next(60), random.next(60))
            let secret = "secret/" + text(20)
            let signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKID\(index)", secretAccessKey: secret), region: region, service: service)
            let added = signer.sign(method: method, url: URL(string: url)!, headers: headers, body: Data(body.utf8), date: Self.date(stamp))
            ours.append(added.first { $0.0 == "Authorization" }?.1 ?? "")
            cases.append(["method": method, "url": url, "headers": headers.map { [$0.0, $0.1] }, "body": body, "date": stamp, "region": region,
                          "service": service, "accessKeyId": "AKID\(index)", "secretAccessKey": secret])
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("aws/sign_with_botocore.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: cases))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "botocore signer failed: \(problems)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: data) as? [String])
        #expect(theirs.count == ours.count)
        let differing = zip(ours, theirs).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differing.isEmpty, "\(differing.count) of \(ours.count) differ, e.g. \(differing.first.map { "\(cases[$0.offset]): ours \($0.element.0), botocore \($0.element.1)" } ?? "")")
    }

    @Test func errorsAreParsedFromEveryShape() {
        let query = AWSError.parse(status: 400, body: Data("<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Group x not found</Message></Error><RequestId>r-1</RequestId></ErrorResponse>".utf8))
        #expect(query == AWSError(status: 400, code: "ValidationError", message: "Group x not found", requestId: "r-1"))
        let ec2 = AWSError.parse(status: 401, body: Data("<?xml version=\"1.0\"?><Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>q</RequestID></Response>".utf8))
        #expect(ec2.code == "AuthFailure" && ec2.isAuthentication && ec2.requestId == "q")
        #expect("\(ec2)".contains("check the account's access key and secret"))
        let throttled = AWSError.parse(status: 400, body: Data("<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>".utf8))
        #expect(throttled.isRetryable)
        let html = AWSError.parse(status: 500, body: Data("<!doctype html><html><body>Internal Server Error</body>".utf8))
        #expect(html.code == "InternalFailure" && html.isRetryable)
    }
}

@Suite("Rate limit")
struct RateLimitTests {
    @Test func aTokenBucketLetsABurstThroughThenSpacesRequestsAtItsRate() {
        var bucket = TokenBucket(rate: 10, burst: 3, now: 0)
        #expect((0..<3).map { _ in bucket.reserve(now: 0) } == [0, 0, 0])
        let waits = (0..<3).map { _ in bucket.reserve(now: 0) }
        #expect(zip(waits, [0.1, 0.2, 0.3]).allSatisfy { abs($0 - $1) < 1e-9 }, "\(waits)")
        // A quiet second refills it, never beyond the burst.
        #expect((0..<3).map { _ in bucket.reserve(now: 2) } == [0, 0, 0])
        #expect(bucket.reserve(now: 2) > 0)
    }
}
