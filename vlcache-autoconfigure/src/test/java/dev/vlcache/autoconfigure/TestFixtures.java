package dev.vlcache.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/** The parity fixtures' checkpoints ({@code -Dvlcache.fixtures}, default the repository's {@code fixtures/}). */
final class TestFixtures {

	private TestFixtures() {
	}

	/** The LLaVA-1.5 fixture. */
	static Path checkpoint() {
		return folder("llava-tiny-clip-llama");
	}

	static Path folder(String name) {
		Path root = Paths.get(System.getProperty("vlcache.fixtures", "../fixtures"));
		try (Stream<Path> s = Files.list(root)) {
			return s.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	static byte[] image() {
		try {
			return Files.readAllBytes(checkpoint().resolve("image0.png"));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
