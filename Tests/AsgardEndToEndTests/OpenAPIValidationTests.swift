import Foundation
import Testing

@Suite("The OpenAPI document", .serialized)
struct OpenAPIValidationTests {
    @Test func validatesWithOpenAPISpecValidator() async throws {
        let scratch = try Scratch("openapi")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let document = try await HTTP.get(server.url + "/openapi.json")
        #expect(document.status == 200)
        let file = scratch.path + "/openapi.json"
        try document.body.write(to: URL(fileURLWithPath: file))
        let result = try await run("/usr/bin/env", ["python3", "-c", """
            import sys, json
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            spec, _ = read_from_filename(sys.argv[1])
            validate(spec)
            print("valid", spec["openapi"], len(spec["paths"]))
            """, file])
        #expect(result.status == 0, "openapi-spec-validator: \(result.stderr)")
        #expect(result.stdout.hasPrefix("valid 3.1.0"))
    }
}
