package dev.vlcache.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.BindParam;
import org.springframework.web.multipart.MultipartFile;

/**
 * The fields of a chat request as they arrive in {@code multipart/form-data} (bound by name; the files from the
 * {@code image} parts), before validation.
 *
 * @param question the question
 * @param images uploaded {@code image} parts, in order
 * @param policy compression policy, or {@code null} for the configured default
 * @param budgetRatio budget ratio as typed, or {@code null}
 * @param maxTokens maximum answer tokens as typed, or {@code null}
 */
public record ChatForm(@Nullable String question, @BindParam("image") @Nullable List<MultipartFile> images,
		@Nullable String policy, @Nullable String budgetRatio, @Nullable String maxTokens) {

	/** One uploaded image: its name for messages, its bytes and declared type. */
	public record Upload(String name, byte[] bytes, @Nullable String contentType) {
	}

	/** The uploads' contents. */
	public List<Upload> uploads() {
		List<Upload> out = new ArrayList<>();
		List<MultipartFile> files = this.images != null ? this.images : List.of();
		for (int i = 0; i < files.size(); i++) {
			MultipartFile f = files.get(i);
			String name = f.getOriginalFilename() != null && !f.getOriginalFilename().isBlank()
					? "image '" + f.getOriginalFilename() + "'" : "image " + (i + 1);
			try {
				out.add(new Upload(name, f.getBytes(), f.getContentType()));
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not read the upload of " + name, ex);
			}
		}
		return out;
	}

}
