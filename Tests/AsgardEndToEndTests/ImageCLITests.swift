import AsgardAPI
import AsgardCore
import Foundation
import Testing

@Suite("Images from the CLI", .serialized)
struct ImageCLITests {
    @Test func registersTheSampleAppAsAnImageAndDeletesItWithForce() async throws {
        let scratch = try Scratch("image-cli")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let env = ["ASGARD_URL": server.url, "ASGARD_TOKEN": adminToken]
        let sample = URL(fileURLWithPath: Binaries.asgard).deletingLastPathComponent().appendingPathComponent("asgard-sample-app").path

        let registered = try await run(Binaries.asgard, ["image", "register", "sample", "1.0.0", "--env", "SAMPLE_LATENCY_MS=5", "--",
                                                   sample, "--version-label", "1.0.0"], environment: env)
        #expect(registered.status == 0, "\(registered.stderr)")
        let firstLine = try #require(registered.stdout.split(separator: "\n").first)
        #expect(firstLine.hasPrefix("Registered image img-"))
        let imageId = String(firstLine.split(separator: " ")[2])
        #expect(registered.stdout.contains("Command      \(sample) --version-label 1.0.0"))
        #expect(registered.stdout.contains("Environment  SAMPLE_LATENCY_MS=5"))

        let list = try await run(Binaries.asgard, ["image", "list"], environment: env)
        #expect(list.stdout.contains("\(imageId)  sample       1.0.0"))
        let json = try await run(Binaries.asgard, ["image", "show", imageId, "--output", "json"], environment: env)
        let image = try APIJSON.decoder().decode(ImageRecord.self, from: Data(json.stdout.utf8))
        #expect(image.command == [sample, "--version-label", "1.0.0"])

        let bad = try await run(Binaries.asgard, ["image", "register", "sample", "2.0", "--", "./relative"], environment: env)
        #expect(bad.status == 1)
        #expect(bad.stderr == "error: command: './relative' must be an absolute path or a name on PATH; it is run without a shell\n")
        let elsewhere = try await run(Binaries.asgard, ["image", "list", "--region", "mars"], environment: env)
        #expect(elsewhere.status == 1)
        #expect(elsewhere.stderr.hasPrefix("error: Region 'mars' not found"))

        #expect(try await run(Binaries.asgard, ["image", "delete", imageId], environment: env).status == 1)
        let deleted = try await run(Binaries.asgard, ["image", "delete", imageId, "--force"], environment: env)
        #expect(deleted.stdout == "Deleted image \(imageId)\n")
        #expect(try await run(Binaries.asgard, ["image", "list"], environment: env).stdout.hasPrefix("No images yet"))
    }
}
