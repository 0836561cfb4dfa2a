package dev.vlcache.ai;

import java.net.URI;
import java.net.URL;
import java.util.Base64;
import java.util.Locale;

import org.springframework.ai.content.Media;
import org.springframework.core.io.Resource;

import dev.vlcache.core.generation.ImageInput;

/**
 * Turns Spring AI {@link Media} into image bytes: {@code byte[]}, a {@link Resource}, base64 text or a
 * {@code data:} URI, with an {@code image/*} type. Remote URLs are refused, never fetched: a model server that
 * downloads whatever a prompt names is an SSRF hole.
 */
final class ImageMedia {

	private ImageMedia() {
	}

	static ImageInput toImage(Media media, int index) {
		String name = "image " + index + " (" + media.getName() + ")";
		if (!"image".equalsIgnoreCase(media.getMimeType().getType())) {
			throw new IllegalArgumentException(name + " has type " + media.getMimeType()
					+ "; only image/* media (PNG, JPEG, GIF, BMP, WebP) are supported");
		}
		Object data = media.getData();
		if (data instanceof byte[] bytes) {
			return new ImageInput(name, bytes);
		}
		if (data instanceof Resource resource) {
			try {
				return new ImageInput(name, resource.getContentAsByteArray());
			}
			catch (java.io.IOException ex) {
				throw new IllegalArgumentException(name + " could not be read: " + ex.getMessage(), ex);
			}
		}
		if (data instanceof URL || data instanceof URI) {
			throw remote(name, data.toString());
		}
		if (data instanceof String text) {
			return new ImageInput(name, fromText(name, text.trim()));
		}
		throw new IllegalArgumentException(name + " has unsupported data of type " + data.getClass().getName());
	}

	private static byte[] fromText(String name, String text) {
		String lower = text.toLowerCase(Locale.ROOT);
		if (lower.startsWith("data:")) {
			int comma = text.indexOf(',');
			if (comma < 0 || !lower.substring(0, comma).contains(";base64")) {
				throw new IllegalArgumentException(name + " is a data: URI without base64 content");
			}
			String type = lower.substring(5, lower.indexOf(';'));
			if (!type.startsWith("image/")) {
				throw new IllegalArgumentException(name + " is a data: URI of type " + type + "; expected image/*");
			}
			return decode(name, text.substring(comma + 1));
		}
		if (lower.matches("^[a-z][a-z0-9+.-]*://.*")) {
			throw remote(name, text);
		}
		return decode(name, text);
	}

	private static byte[] decode(String name, String base64) {
		try {
			return Base64.getMimeDecoder().decode(base64);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException(name + " is neither image bytes, base64 nor a data: URI", ex);
		}
	}

	private static IllegalArgumentException remote(String name, String url) {
		String shown = url.length() > 80 ? url.substring(0, 80) + "..." : url;
		return new IllegalArgumentException(name + " is a remote URL (" + shown
				+ "); remote images are not fetched: pass the image bytes, a Resource, base64 or a data: URI");
	}

}
