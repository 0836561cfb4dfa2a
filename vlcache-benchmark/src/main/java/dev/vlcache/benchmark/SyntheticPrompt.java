package dev.vlcache.benchmark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.generation.ImageInput;
import dev.vlcache.core.image.ImageDecoder;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.tokenizer.EncodedPrompt;

/**
 * A benchmark prompt of about {@code length} tokens: random 400x300 pictures, as many as the model's image tokens
 * allow, and filler words for the rest; or, for the tiny fixture, its short question with one image.
 *
 * @param question the user's text
 * @param imagePngs the pictures, PNG-encoded
 * @param prepared the pictures through the model's image processor
 * @param prompt the encoded prompt
 */
record SyntheticPrompt(String question, List<byte[]> imagePngs, List<PreparedImage> prepared, EncodedPrompt prompt) {

	/**
	 * @param scaled whether to fill {@code length} tokens (else the fixture's question)
	 * @param reserve tokens that must still fit in the context after the prompt
	 */
	static SyntheticPrompt of(LlavaModel model, boolean scaled, int length, int reserve) throws IOException {
		// Every image of the prompt is the same random picture size, so the first one tells the token count.
		List<PreparedImage> one = model
			.prepareImages(List.of(ImageDecoder.decode(BenchmarkHarness.randomPng(0), "image 0")));
		int perImage = one.get(0).tokens();
		int images = scaled ? Math.max(1, Math.round(length / (float) perImage)) : 1;
		int words = scaled ? Math.max(4, length - images * perImage - 2) : 0;
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < words; i++) {
			text.append(i == 0 ? "" : " ").append("w").append(3 + i % 1000);
		}
		String question = scaled ? text.toString() : "what color is the circle ?";
		List<byte[]> pngs = new ArrayList<>();
		List<RgbImage> rgb = new ArrayList<>();
		for (int i = 0; i < images; i++) {
			pngs.add(BenchmarkHarness.randomPng(i));
			rgb.add(ImageDecoder.decode(pngs.get(i), "image " + i));
		}
		List<PreparedImage> prepared = model.prepareImages(rgb);
		EncodedPrompt prompt = model.encodePrompt(List.of(ChatMessage.user(question, images)), prepared, true,
				reserve);
		return new SyntheticPrompt(question, pngs, prepared, prompt);
	}

	/** The user message of this prompt. */
	List<ChatMessage> messages() {
		return List.of(ChatMessage.user(this.question, this.imagePngs.size()));
	}

	/** The pictures as request inputs. */
	List<ImageInput> images() {
		List<ImageInput> out = new ArrayList<>();
		for (int i = 0; i < this.imagePngs.size(); i++) {
			out.add(new ImageInput("image" + i + ".png", this.imagePngs.get(i)));
		}
		return out;
	}

}
