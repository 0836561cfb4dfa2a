package dev.vlcache.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/** The first shared fixture checkpoint ({@code -Dvlcache.fixtures}). */
final class TestFixtures {

	private TestFixtures() {
	}

	static Path checkpoint() {
		Path root = Paths.get(System.getProperty("vlcache.fixtures", "../fixtures"));
		try (Stream<Path> s = Files.list(root)) {
			return s.filter(p -> p.getFileName().toString().equals("llava-tiny-clip-llama")).findFirst().orElseThrow();
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
