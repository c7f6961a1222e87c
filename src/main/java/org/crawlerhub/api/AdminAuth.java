package org.crawlerhub.api;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Admin authentication of {@code /api/**} (SPEC §5): a bearer token, or a browser session cookie
 * obtained from {@code POST /api/session}. The cookie is stateless — {@code <expiry>.<HMAC>} keyed
 * with the admin token — so it survives hub restarts, works on every node sharing the token and
 * never contains the token itself. Every comparison is constant-time.
 */
final class AdminAuth {
  static final String COOKIE = "hub_session";
  static final long SESSION_SECONDS = 12 * 3600;

  private final String adminToken;
  private final byte[] tokenDigest;
  private final Clock clock;

  AdminAuth(String adminToken, Clock clock) {
    this.adminToken = adminToken;
    this.tokenDigest = adminToken == null ? null : sha256(adminToken);
    this.clock = clock;
  }

  /** True when no admin token is configured (loopback-only hubs). */
  boolean open() {
    return adminToken == null;
  }

  /** Bearer header or session cookie. */
  boolean authorised(HttpServerRequest req) {
    if (open()) {
      return true;
    }
    String header = req.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return tokenMatches(header.substring(7).trim());
    }
    Cookie c = req.getCookie(COOKIE);
    return c != null && sessionValid(c.getValue());
  }

  /** Constant-time (digests have the same length whatever the input). */
  boolean tokenMatches(String candidate) {
    return !open() && candidate != null && MessageDigest.isEqual(tokenDigest, sha256(candidate));
  }

  Cookie sessionCookie(boolean secure) {
    long expiry = clock.millis() / 1000 + SESSION_SECONDS;
    String value = expiry + "." + sign(expiry);
    return Cookie.cookie(COOKIE, value).setPath("/api").setHttpOnly(true).setSecure(secure)
        .setSameSite(CookieSameSite.STRICT).setMaxAge(SESSION_SECONDS);
  }

  static Cookie expiredCookie() {
    return Cookie.cookie(COOKIE, "").setPath("/api").setHttpOnly(true)
        .setSameSite(CookieSameSite.STRICT).setMaxAge(0);
  }

  boolean sessionValid(String value) {
    int dot = value == null ? -1 : value.indexOf('.');
    if (dot <= 0) {
      return false;
    }
    long expiry;
    try {
      expiry = Long.parseLong(value.substring(0, dot));
    } catch (NumberFormatException e) {
      return false;
    }
    byte[] expected = sign(expiry).getBytes(StandardCharsets.US_ASCII);
    byte[] given = value.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, given) && expiry > clock.millis() / 1000;
  }

  private String sign(long expiry) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(adminToken.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] sig = mac.doFinal(("crawler-hub-session." + expiry).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
