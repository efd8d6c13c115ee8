import Foundation

/// The JSON encoding and decoding shared by the server and the CLI: ISO 8601 dates, sorted
/// keys, readable output.
public enum APIJSON {
    /// An encoder for API responses.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A decoder for API responses.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
