import AsgardCore
import Crypto
import Foundation

/// AWS Signature Version 4 for requests whose credentials go in the `Authorization` header.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    /// Creates a signer for `service` (its signing name: `ec2`, `autoscaling`,
    /// `elasticloadbalancing`, `monitoring`, `iam`) in `region`.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to add to a request: `X-Amz-Date`, `X-Amz-Security-Token` (temporary
    /// credentials) and `Authorization`. `headers` are those the request sends (Host included);
    /// all of them are signed.
    public func sign(method: String, url: URL, headers: [(String, String)], body: Data, date: Date) -> [(String, String)] {
        let amzDate = Self.timestamp(date)
        let day = String(amzDate.prefix(8))
        var signed = headers
        signed.append(("X-Amz-Date", amzDate))
        if let token = credentials.sessionToken { signed.append(("X-Amz-Security-Token", token)) }
        let (canonical, signedHeaders) = canonicalRequest(method: method, url: url, headers: signed, body: body)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Self.hex(SHA256.hash(data: Data(canonical.utf8))))"
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day: day)))
        var added = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        added.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return added
    }

    /// The canonical request and the signed header names, as SigV4 defines them.
    func canonicalRequest(method: String, url: URL, headers: [(String, String)], body: Data) -> (String, String) {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? "/"
        let canonicalPath = path.isEmpty ? "/" : path.split(separator: "/", omittingEmptySubsequences: false).map {
            Self.encode(String($0).removingPercentEncoding ?? String($0))
        }.joined(separator: "/")
        var pairs: [(String, String)] = []
        for item in components?.percentEncodedQueryItems ?? [] {
            let name = Self.encode(item.name.removingPercentEncoding ?? item.name)
            let value = Self.encode((item.value ?? "").removingPercentEncoding ?? "")
            pairs.append((name, value))
        }
        pairs.sort { a, b in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let query = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        var grouped: [String: [String]] = [:]
        for (name, value) in headers {
            grouped[name.lowercased(), default: []].append(value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let payload = Self.hex(SHA256.hash(data: body))
        return ("\(method)\n\(canonicalPath)\n\(query)\n\(canonicalHeaders)\n\(signedHeaders)\n\(payload)", signedHeaders)
    }

    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// `text` percent-encoded as SigV4 wants it (RFC 3986: unreserved characters kept).
    public static func percentEncoded(_ text: String) -> String { encode(text) }

    /// RFC 3986 encoding: unreserved characters kept, everything else as %XX of its UTF-8 bytes.
    static func encode(_ text: String) -> String {
        PercentEncoding.unreservedOnly(text)
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// The body of a Query request: `application/x-www-form-urlencoded`, unreserved characters kept,
/// a space as `+` (what moto's checker re-encodes; AWS accepts it too), the rest as %XX.
public enum QueryEncoding {
    public static func body(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        SigV4Signer.encode(text).replacingOccurrences(of: "%20", with: "+")
    }
}
