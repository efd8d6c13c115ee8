/// Percent-encoding as RFC 3986 defines it: the unreserved characters (ASCII letters, digits,
/// `-`, `_`, `.`, `~`) kept, every other byte of the UTF-8 text written `%XX`. SigV4 signs this
/// form, and a form body of it reads back exactly (a `+` stays a plus, not a space).
public enum PercentEncoding {
    /// `text` with everything but the unreserved characters percent-encoded.
    public static func unreservedOnly(_ text: String) -> String {
        let digits: [Character] = Array("0123456789ABCDEF")
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out.append("%")
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
