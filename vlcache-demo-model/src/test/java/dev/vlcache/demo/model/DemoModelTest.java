package dev.vlcache.demo.model;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.core.EmbeddedModel;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.template.ChatMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DemoModelTest {

	@Test
	void isTheEmbeddedModelOnTheClassPathAndLoadsLikeAnyCheckpoint() {
		EmbeddedModel embedded = EmbeddedModel.find(getClass().getClassLoader()).orElseThrow();
		assertThat(embedded).isInstanceOf(DemoModel.class);
		assertThat(embedded.name()).isEqualTo("vlcache-demo");
		try (LlavaModel model = LlavaModel.load(embedded.folder(), new ModelOptions("cpu", "float32"))) {
			assertThat(model.config().fixedImageTokens()).isEqualTo(256);
			assertThat(model.promptEncoder()
				.encode(List.of(ChatMessage.user("What colour is the circle?", 2)), true, 0)
				.layout()
				.imageTokenCount()).isEqualTo(512);
		}
	}

	@Test
	void isCopiedOutOfAJarIntoAFolder(@TempDir Path dir) throws Exception {
		Path source = new DemoModel().folder();
		Path jar = demoJar(dir);
		try (URLClassLoader loader = new URLClassLoader(new URL[] { jar.toUri().toURL() }, null)) {
			Path extracted = DemoModel.locate(loader);
			assertThat(extracted).isNotEqualTo(source);
			for (String name : DemoModel.FILES) {
				assertThat(extracted.resolve(name)).hasSameBinaryContentAs(source.resolve(name));
			}
		}
	}

	@Test
	void theCopyIsDeletedWhenTheProcessExits(@TempDir Path dir) throws Exception {
		Path jar = demoJar(dir.resolve("jar"));
		Path tmp = Files.createDirectories(dir.resolve("tmp"));
		Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Extract.class.getName(),
				jar.toString())
			.redirectErrorStream(true)
			.start();
		String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
		assertThat(child.waitFor()).as(output).isZero();
		Path extracted = Path.of(output);
		assertThat(extracted.getParent()).as(output).isEqualTo(tmp);
		assertThat(extracted).as("the folder the child extracted into").doesNotExist();
		try (Stream<Path> left = Files.list(tmp)) {
			assertThat(left).isEmpty();
		}
	}

	/** Extracts the demo model from the jar named by its argument and prints where to. */
	static final class Extract {

		public static void main(String[] args) throws Exception {
			try (URLClassLoader loader = new URLClassLoader(new URL[] { Path.of(args[0]).toUri().toURL() }, null)) {
				Path extracted = DemoModel.locate(loader);
				if (!Files.exists(extracted.resolve("model.safetensors"))) {
					throw new IllegalStateException("nothing extracted into " + extracted);
				}
				System.out.print(extracted);
			}
		}

	}

	@Test
	void aJarWithoutTheCheckpointIsReportedByName(@TempDir Path dir) throws Exception {
		Path jar = dir.resolve("empty.jar");
		try (OutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
			out.flush();
		}
		try (URLClassLoader loader = new URLClassLoader(new URL[] { jar.toUri().toURL() }, null)) {
			assertThatThrownBy(() -> DemoModel.locate(loader)).hasMessageContaining("dev/vlcache/demo/model/config.json");
		}
	}

	/** A jar in {@code dir} holding the demo model's checkpoint as the module's jar does. */
	private static Path demoJar(Path dir) throws IOException {
		Path source = new DemoModel().folder();
		Path jar = Files.createDirectories(dir).resolve("demo.jar");
		try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
			for (String name : DemoModel.FILES) {
				out.putNextEntry(new JarEntry(DemoModel.RESOURCES + name));
				Files.copy(source.resolve(name), out);
				out.closeEntry();
			}
		}
		return jar;
	}

}
