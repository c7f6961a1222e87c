package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PgErrorsTest {
  @Test
  @DisplayName("only a connection that broke without an answer may have run a statement; a server error or a refused connection did not")
  void mayHaveRun() {
    // GIVEN / WHEN / THEN
    assertThat(PgErrors.mayHaveRun(new VertxException("Failed to read any response from the server", true))).isTrue();
    assertThat(PgErrors.mayHaveRun(new ConnectException("Connection refused"))).isFalse();
    assertThat(PgErrors.mayHaveRun(new PgException("the database system is starting up", "FATAL", "57P03", null)))
        .isFalse();
    assertThat(PgErrors.mayHaveRun(new PgException("deadlock detected", "ERROR", "40P01", null))).isFalse();
    assertThat(PgErrors.mayHaveRun(new IllegalArgumentException("a bug"))).isFalse();
  }
}
