import AsgardAPI
import Foundation
import Hummingbird

/// Builders for the answers the console gives.
enum Responses {
    /// A JSON answer of `value`.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try APIJSON.encoder().encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON answer that is JSON text already (definitions kept as JSON).
    static func jsonText(_ text: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// An HTML page.
    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    /// Plain text.
    static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A 303 to `location`: POST-redirect-GET for browser forms.
    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// The JSON error body for `error`.
    static func error(_ error: ConsoleError, requestId: String? = nil) -> Response {
        let body = ErrorBody(error: .init(code: error.code.rawValue, message: error.message,
                                          field: error.fieldErrors.count == 1 ? error.fieldErrors[0].field : nil,
                                          requestId: requestId))
        return (try? json(body, status: error.code.status))
            ?? text(error.message, status: error.code.status)
    }
}
