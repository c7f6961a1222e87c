/**
 * The crawler wire protocol (SPEC §1): pure code, no sockets, no event bus.
 *
 * <p>How the other packages use it:
 *
 * <ul>
 *   <li>Gateway, per line: skip {@link org.crawlerhub.protocol.ProtocolCodec#isBlank} lines, then
 *       {@link org.crawlerhub.protocol.ProtocolCodec#decode} (size, UTF-8/JSON, object, inbound
 *       type; {@code job_id} -> {@code jobId}; nulls removed). {@code hello} can be checked there
 *       with {@link org.crawlerhub.protocol.MessageValidator#validateInbound}.
 *   <li>Router: {@link org.crawlerhub.protocol.MessageValidator#validateInbound} on every envelope
 *       (it tolerates nulls and the alias); for envelopes that did not come through the codec,
 *       {@link org.crawlerhub.protocol.MessageValidator#prepareInbound} normalises them too.
 *   <li>Before writing any hub->crawler message:
 *       {@link org.crawlerhub.protocol.MessageValidator#prepareOutbound} (nulls removed, timestamp
 *       and SPEC §1.4 defaults filled, schema checked), then
 *       {@link org.crawlerhub.protocol.ProtocolCodec#encode}.
 *   <li>Any failure becomes an {@code error} frame through
 *       {@link org.crawlerhub.protocol.Frames#errorFrom}; {@link org.crawlerhub.protocol.ErrorCode}
 *       says the category, the severity and whether the connection closes.
 *   <li>Handlers wanting typed fields read a validated envelope with
 *       {@link org.crawlerhub.protocol.messages.WireMessage#from} or a record's own {@code from}.
 * </ul>
 *
 * <p>Rejection messages list every field at fault as {@code path: problem} joined by "; ", e.g.
 * {@code data.discovered_jobs[3].entity_id: required string or number}. Tokens are never echoed.
 */
package org.crawlerhub.protocol;
