package dev.vlcache.sample;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Builds {@code multipart/form-data} bodies for {@link java.net.http.HttpClient}, which has no helper for them. */
final class Multipart {

	private final String boundary = "vlcache-" + UUID.randomUUID();

	private final ByteArrayOutputStream body = new ByteArrayOutputStream();

	Multipart field(String name, String value) {
		write("--" + this.boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value
				+ "\r\n");
		return this;
	}

	Multipart file(String name, String filename, String contentType, byte[] bytes) {
		write("--" + this.boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\""
				+ filename + "\"\r\nContent-Type: " + contentType + "\r\n\r\n");
		this.body.writeBytes(bytes);
		write("\r\n");
		return this;
	}

	HttpRequest post(URI uri) {
		write("--" + this.boundary + "--\r\n");
		return HttpRequest.newBuilder(uri)
			.header("Content-Type", "multipart/form-data; boundary=" + this.boundary)
			.POST(HttpRequest.BodyPublishers.ofByteArray(this.body.toByteArray()))
			.build();
	}

	private void write(String text) {
		this.body.writeBytes(text.getBytes(StandardCharsets.UTF_8));
	}

}
