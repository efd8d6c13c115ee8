import AsgardCore
import Testing

@Suite("Database URLs")
struct DatabaseURLTests {
    @Test func aURLIsReadAndNeverShowsItsPassword() throws {
        let url = try DatabaseURL(parsing: "postgres://asgard:p%40ss%3Aword@db.example.com:6432/console?sslmode=require")
        #expect(url.user == "asgard" && url.password == "p@ss:word")
        #expect(url.host == "db.example.com" && url.port == 6432 && url.database == "console" && url.tls == .require)
        #expect(url.redacted == "postgres://asgard:***@db.example.com:6432/console?sslmode=require")
        #expect("\(url)" == url.redacted && !"\(url)".contains("word"))
        let plain = try DatabaseURL(parsing: "postgresql://asgard@127.0.0.1/asgard")
        #expect(plain.port == 5432 && plain.password == nil && plain.tls == .prefer)
        #expect(plain.redacted == "postgres://asgard@127.0.0.1:5432/asgard")
    }

    @Test(arguments: [
        ("mysql://a:b@h/db", "must start with postgres://"),
        ("postgres://h/db", "names no user"),
        ("postgres://a:b@h:0/db", "outside 1–65535"),
        ("postgres://a:b@h:5432/", "names no database"),
        ("postgres://a:b@h/db?sslmode=maybe", "sslmode 'maybe'"),
        ("postgres://a:b@h/db?application_name=x", "unknown parameter 'application_name'"),
        ("not a url at all", "is not a URL"),
    ])
    func aWrongURLSaysWhatIsWrong(_ text: String, _ problem: String) {
        #expect { try DatabaseURL(parsing: text) } throws: { error in
            guard let error = error as? FieldError else { return false }
            return error.field == "database.url" && error.message.contains(problem) && error.message.contains("postgres://user:password@host")
        }
    }
}
