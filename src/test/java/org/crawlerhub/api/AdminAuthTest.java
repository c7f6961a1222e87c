package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("Admin authentication")
class AdminAuthTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  @DisplayName("a session cookie is valid until it expires, and only for the token that signed it")
  void sessionCookieLifecycle() {
    // GIVEN a cookie issued at T0
    AdminAuth auth = new AdminAuth("token-a", Clock.fixed(T0, ZoneOffset.UTC));
    String value = auth.sessionCookie(false).getValue();
    // THEN it is valid now, never contains the token, and is refused once expired or re-keyed
    assertThat(auth.sessionValid(value)).isTrue();
    assertThat(value).doesNotContain("token-a");
    AdminAuth later = new AdminAuth("token-a", Clock.fixed(T0.plus(Duration.ofHours(13)), ZoneOffset.UTC));
    assertThat(later.sessionValid(value)).isFalse();
    AdminAuth rotated = new AdminAuth("token-b", Clock.fixed(T0, ZoneOffset.UTC));
    assertThat(rotated.sessionValid(value)).isFalse();
    // AND a forged expiry does not verify
    String forged = (Long.parseLong(value.substring(0, value.indexOf('.'))) + 3600) + value.substring(value.indexOf('.'));
    assertThat(auth.sessionValid(forged)).isFalse();
    assertThat(auth.sessionValid("garbage")).isFalse();
  }

  @Test
  @DisplayName("without an admin token the API is open, and no token ever matches")
  void openWhenNoToken() {
    AdminAuth open = new AdminAuth(null, Clock.systemUTC());
    assertThat(open.open()).isTrue();
    assertThat(open.tokenMatches("anything")).isFalse();
    assertThat(new AdminAuth("t", Clock.systemUTC()).tokenMatches("t")).isTrue();
  }

  @Test
  @DisplayName("only loopback hosts may run the HTTP API without an admin token")
  void loopbackHosts() {
    assertThat(HttpVerticle.loopback("127.0.0.1")).isTrue();
    assertThat(HttpVerticle.loopback("localhost")).isTrue();
    assertThat(HttpVerticle.loopback("::1")).isTrue();
    assertThat(HttpVerticle.loopback("0.0.0.0")).isFalse();
    assertThat(HttpVerticle.loopback("10.0.0.5")).isFalse();
  }
}
