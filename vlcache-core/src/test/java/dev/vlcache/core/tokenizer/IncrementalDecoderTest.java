package dev.vlcache.core.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Streaming text from a byte-level BPE tokenizer, where one character may span several tokens. */
class IncrementalDecoderTest {

	/** GPT-2's printable stand-ins for the 256 byte values. */
	private static List<String> byteAlphabet() {
		List<Integer> bs = new ArrayList<>();
		for (int b = '!'; b <= '~'; b++) {
			bs.add(b);
		}
		for (int b = 0xA1; b <= 0xAC; b++) {
			bs.add(b);
		}
		for (int b = 0xAE; b <= 0xFF; b++) {
			bs.add(b);
		}
		List<Integer> cs = new ArrayList<>(bs);
		int n = 0;
		for (int b = 0; b < 256; b++) {
			if (!bs.contains(b)) {
				bs.add(b);
				cs.add(256 + n++);
			}
		}
		String[] byByte = new String[256];
		for (int i = 0; i < bs.size(); i++) {
			byByte[bs.get(i)] = new String(Character.toChars(cs.get(i)));
		}
		return List.of(byByte);
	}

	private static Path byteLevelTokenizer(Path dir) throws IOException {
		JsonObject vocab = new JsonObject();
		List<String> alphabet = byteAlphabet();
		for (int i = 0; i < 256; i++) {
			vocab.addProperty(alphabet.get(i), i);
		}
		JsonObject model = new JsonObject();
		model.addProperty("type", "BPE");
		model.add("vocab", vocab);
		model.add("merges", new JsonArray());
		JsonObject byteLevel = new JsonObject();
		byteLevel.addProperty("type", "ByteLevel");
		byteLevel.addProperty("add_prefix_space", false);
		byteLevel.addProperty("trim_offsets", true);
		byteLevel.addProperty("use_regex", true);
		JsonObject root = new JsonObject();
		root.addProperty("version", "1.0");
		root.add("added_tokens", new JsonArray());
		root.add("pre_tokenizer", byteLevel);
		root.add("decoder", byteLevel);
		root.add("model", model);
		Files.writeString(dir.resolve("tokenizer.json"), root.toString());
		return dir;
	}

	@Test
	void multiByteCharactersAreNeverSplit(@TempDir Path dir) throws IOException {
		try (TextTokenizer tokenizer = TextTokenizer.load(byteLevelTokenizer(dir))) {
			String text = "naïve 日本語 ok ✓";
			long[] ids = tokenizer.encode(text, false);
			assertThat(ids.length).as("one token per byte").isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
			IncrementalDecoder decoder = new IncrementalDecoder(tokenizer);
			StringBuilder streamed = new StringBuilder();
			int empty = 0;
			for (long id : ids) {
				String piece = decoder.add(id);
				assertThat(piece).doesNotContain("\uFFFD");
				if (piece.isEmpty()) {
					empty++;
				}
				streamed.append(piece);
			}
			assertThat(streamed.toString()).isEqualTo(text);
			assertThat(decoder.text()).isEqualTo(text);
			assertThat(empty).as("bytes held back inside multi-byte characters").isGreaterThan(0);
		}
	}

}
