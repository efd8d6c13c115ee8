import AsgardCore
import Foundation

/// The fields of a request: query parameters, then form fields or the members of a JSON
/// object body, which win over the query. Values are kept as text, as a form would send them.
struct FormFields: Sendable {
    private(set) var values: [String: [String]] = [:]
    /// Members of a JSON body whose value was an object, which no scalar field accepts.
    private(set) var objectKeys: Set<String> = []

    init() {}

    /// Fields with one value each.
    init(pairs: [String: String]) {
        values = pairs.mapValues { [$0] }
    }

    /// Parses `application/x-www-form-urlencoded` text (also a URL's query).
    init(urlEncoded text: Substring) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = FormFields.decode(parts[0])
            let value = parts.count > 1 ? FormFields.decode(parts[1]) : ""
            guard !key.isEmpty else { continue }
            values[key, default: []].append(value)
        }
    }

    /// Reads the members of a JSON object; nested arrays of scalars become repeated values.
    ///
    /// - Throws: `ConsoleError` when the body is not a JSON object.
    init(json data: Data) throws(ConsoleError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConsoleError(.invalidRequest, "The request body is not valid JSON; send a JSON object such as {\"name\": \"shop\"}")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ConsoleError(.invalidRequest, "The request body must be a JSON object such as {\"name\": \"shop\"}")
        }
        for (key, value) in dictionary {
            if let array = value as? [Any] {
                values[key] = array.compactMap(FormFields.text)
            } else if value is [String: Any] {
                objectKeys.insert(key)
            } else if let text = FormFields.text(value) {
                values[key] = [text]
            }
        }
    }

    /// Every field and value in one order, whatever order they came in: a key for answers kept
    /// per query.
    var canonicalQuery: String {
        values.keys.sorted().flatMap { key in
            (values[key] ?? []).map { value in
                (key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? key) + "="
                    + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)
            }
        }.joined(separator: "&")
    }

    /// The fields among `scalars` that were sent as a list or an object, with what is wrong.
    func nonScalarProblems(_ scalars: [String]) -> [FieldError] {
        scalars.compactMap { key in
            if objectKeys.contains(key) { return FieldError(field: key, message: "must be a single value, not an object") }
            if (values[key]?.count ?? 0) > 1 { return FieldError(field: key, message: "must be a single value, not a list") }
            return nil
        }
    }

    /// The `limit` (1 to `maxLimit`) and `offset` (0 or more) of a list request, each nil when absent.
    ///
    /// - Throws: `ConsoleError` 400 naming the field that is not such a number.
    func page(maxLimit: Int) throws -> (limit: Int?, offset: Int?) {
        var limit: Int?
        var offset: Int?
        if let text = self["limit"], !text.isEmpty {
            guard let value = Int(text), (1...maxLimit).contains(value) else {
                throw ConsoleError.invalid("limit", "'\(text)' must be a whole number from 1 to \(maxLimit)")
            }
            limit = value
        }
        if let text = self["offset"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else {
                throw ConsoleError.invalid("offset", "'\(text)' must be a whole number of 0 or more")
            }
            offset = value
        }
        return (limit, offset)
    }

    /// The values of a list field, whether repeated or comma-separated, as `T`s in order without
    /// repeats.
    ///
    /// - Throws: `ConsoleError` 400 naming a value that is not one of `T`'s.
    func list<T: RawRepresentable & CaseIterable & Equatable>(_ key: String, of type: T.Type) throws -> [T] where T.RawValue == String {
        var result: [T] = []
        var problems: [FieldError] = []
        for text in list(key) {
            if let value = T(rawValue: text) {
                if !result.contains(value) { result.append(value) }
            } else {
                problems.append(FieldError(field: key, message: "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        return result
    }

    /// The values of a list field, whether repeated or comma-separated, trimmed, without empty ones.
    func list(_ key: String) -> [String] {
        all(key).flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    /// The whole number in `key` within `range`; `current` when the field is absent or empty. A
    /// value that is not one adds a problem and answers `current`.
    func wholeNumber(_ key: String, _ current: Int, in range: ClosedRange<Int>, problems: inout [FieldError]) -> Int {
        guard let text = self[key], !text.isEmpty else { return current }
        guard let value = Int(text), range.contains(value) else {
            problems.append(FieldError(field: key, message: "'\(text)' must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
            return current
        }
        return value
    }

    /// The first value of `key`, nil when absent.
    subscript(key: String) -> String? { values[key]?.first }

    /// Every value of `key`.
    func all(_ key: String) -> [String] { values[key] ?? [] }

    /// True when the field was sent, even empty.
    func has(_ key: String) -> Bool { values[key] != nil }

    /// The fields of `other` over these.
    func merging(_ other: FormFields) -> FormFields {
        var merged = self
        merged.values.merge(other.values) { _, new in new }
        merged.objectKeys.formUnion(other.objectKeys)
        return merged
    }

    private static func decode(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// A JSON scalar as a form would send it. Numbers are checked before booleans: Foundation
    /// bridges the numbers 0 and 1 to `Bool` too, and only `true` and `false` have the boolean's
    /// type code.
    static func text(_ value: Any) -> String? {
        switch value {
        case let s as String: return s
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            return n.stringValue
        default: return nil
        }
    }
}
