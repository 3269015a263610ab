// Unit tests for the client's XEP-0363 payloads: the service's disco#info (max-file-size from
// the right form only), slots (URLs, allowed headers, header injection), the request element,
// URL parsing, content types, and the streamed PUT against a one-shot local HTTP server.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>

#include "client/upload.hpp"
#include "support/parse_stanza.hpp"

namespace telex::client {
namespace {

xml::Element parseXml(std::string_view text) { return test::parseStanza(text); }

TEST(ClientUpload, ServiceFromDiscoInfoReadsMaxFileSizeFromTheUploadForm) {
  const Jid service = *Jid::parse("upload.example.org");
  auto found = UploadService::fromDiscoInfo(
      service,
      parseXml("<query xmlns='http://jabber.org/protocol/disco#info'>"
               "<identity category='store' type='file'/>"
               "<feature var='urn:xmpp:http:upload:0'/>"
               // Another form's max-file-size must not count.
               "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
               "<value>urn:example:other</value></field><field var='max-file-size'>"
               "<value>1</value></field></x>"
               "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
               "<value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'>"
               "<value>5242880</value></field></x></query>"));
  ASSERT_TRUE(found.has_value()) << found.error();
  EXPECT_EQ(found->jid, service);
  EXPECT_EQ(found->maxFileSize.value_or(0), 5242880u);

  auto noLimit = UploadService::fromDiscoInfo(
      service, parseXml("<query xmlns='http://jabber.org/protocol/disco#info'>"
                        "<feature var='urn:xmpp:http:upload:0'/></query>"));
  ASSERT_TRUE(noLimit.has_value());
  EXPECT_FALSE(noLimit->maxFileSize.has_value());

  EXPECT_FALSE(UploadService::fromDiscoInfo(
                   service, parseXml("<query xmlns='http://jabber.org/protocol/disco#info'>"
                                     "<feature var='urn:xmpp:http:upload'/></query>"))
                   .has_value());
}

TEST(ClientUpload, SlotKeepsOnlyAllowedHeadersAndRefusesBadUrls) {
  auto slot = UploadSlot::parse(parseXml(
      "<slot xmlns='urn:xmpp:http:upload:0'>"
      "<put url='https://up.example.org:5443/upload/abc/f%20x.png?token=t&amp;x=1'>"
      "<header name='Authorization'>Basic Zm9v</header>"
      "<header name='Cookie'>c=1</header>"
      "<header name='X-Evil'>no</header>"
      "<header name='Expires'>bad&#10;Injected: yes</header></put>"
      "<get url='https://up.example.org:5443/upload/abc/f%20x.png'/></slot>"));
  ASSERT_TRUE(slot.has_value()) << slot.error();
  EXPECT_EQ(slot->putUrl, "https://up.example.org:5443/upload/abc/f%20x.png?token=t&x=1");
  EXPECT_EQ(slot->getUrl, "https://up.example.org:5443/upload/abc/f%20x.png");
  EXPECT_EQ(slot->putHeaders.size(), 2u);
  EXPECT_EQ(slot->putHeaders["authorization"], "Basic Zm9v");
  EXPECT_EQ(slot->putHeaders["cookie"], "c=1");

  EXPECT_FALSE(UploadSlot::parse(parseXml("<slot xmlns='urn:xmpp:http:upload:0'>"
                                          "<put url='https://a/b'/></slot>"))
                   .has_value());
  EXPECT_FALSE(UploadSlot::parse(parseXml("<slot xmlns='urn:xmpp:http:upload:0'>"
                                          "<put url='ftp://a/b'/><get url='https://a/b'/></slot>"))
                   .has_value());
  EXPECT_FALSE(UploadSlot::parse(parseXml("<slot xmlns='urn:xmpp:http:upload:0'>"
                                          "<put url='https://a/b c'/><get url='https://a/b'/>"
                                          "</slot>"))
                   .has_value());
  // The old namespace (urn:xmpp:http:upload) is not this one.
  EXPECT_FALSE(UploadSlot::parse(parseXml("<slot xmlns='urn:xmpp:http:upload'>"
                                          "<put url='https://a/b'/><get url='https://a/b'/></slot>"))
                   .has_value());
}

TEST(ClientUpload, RequestElementAndUrls) {
  const xml::Element r = makeUploadRequest("a'b<c>.txt", 42, "text/plain");
  EXPECT_EQ(r.xmlns(), kNsHttpUpload);
  EXPECT_EQ(r.attrOr("filename", ""), "a'b<c>.txt");
  EXPECT_EQ(r.attrOr("size", ""), "42");
  EXPECT_EQ(r.attrOr("content-type", ""), "text/plain");
  EXPECT_EQ(parseXml(xml::serialize(r, kNsClient)).attrOr("filename", ""), "a'b<c>.txt");

  auto u = HttpUrl::parse("HTTPS://files.example.org/x?y=1#frag");
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "files.example.org");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/x?y=1");
  auto v6 = HttpUrl::parse("http://[::1]:8080");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->target, "/");
  for (const char* bad : {"http://", "http://h:0/", "http://h:99999/", "http://u:p@h/",
                          "file:///etc/passwd", "http://h:1x/", "http://[::1/"}) {
    EXPECT_FALSE(HttpUrl::parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(guessContentType("photo.JPG"), "image/jpeg");
  EXPECT_EQ(guessContentType("notes.txt"), "text/plain");
  EXPECT_EQ(guessContentType("blob"), "application/octet-stream");
}

// A one-shot HTTP server: reads one request with its Content-Length body, answers `status`.
struct OneShotHttp {
  boost::asio::ip::tcp::acceptor acceptor;
  std::string request;
  explicit OneShotHttp(boost::asio::io_context& io)
      : acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {}
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
  void serve(std::string response) {
    auto socket = std::make_shared<boost::asio::ip::tcp::socket>(acceptor.get_executor());
    acceptor.async_accept(*socket, [this, socket, response](boost::system::error_code ec) {
      ASSERT_FALSE(ec);
      auto buf = std::make_shared<boost::asio::streambuf>();
      boost::asio::async_read_until(
          *socket, *buf, "\r\n\r\n",
          [this, socket, buf, response](boost::system::error_code ec2, std::size_t headerLen) {
            ASSERT_FALSE(ec2);
            std::string head(boost::asio::buffers_begin(buf->data()),
                             boost::asio::buffers_begin(buf->data()) + headerLen);
            const auto at = head.find("Content-Length: ");
            ASSERT_NE(at, std::string::npos) << head;
            const std::size_t length = std::stoul(head.substr(at + 16));
            auto readBody = std::make_shared<std::function<void()>>();
            *readBody = [this, socket, buf, response, head, headerLen, length, readBody] {
              if (buf->size() >= headerLen + length) {
                request.assign(boost::asio::buffers_begin(buf->data()),
                               boost::asio::buffers_begin(buf->data()) + headerLen + length);
                boost::asio::async_write(*socket, boost::asio::buffer(response),
                                         [socket, readBody](auto, std::size_t) {
                                           *readBody = nullptr;  // breaks the cycle
                                         });
                return;
              }
              boost::asio::async_read(*socket, *buf, boost::asio::transfer_at_least(1),
                                      [readBody](auto ec3, std::size_t) {
                                        if (!ec3) (*readBody)();
                                      });
            };
            (*readBody)();
          });
    });
  }
};

std::filesystem::path writeTempFile(const std::string& content) {
  auto path = std::filesystem::temp_directory_path() /
              ("telex-upload-test-" + std::to_string(::getpid()) + ".bin");
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ClientUpload, PutStreamsTheFileWithSlotHeaders) {
  boost::asio::io_context io;
  OneShotHttp server(io);
  server.serve("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  std::string content(300 * 1024, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  const auto file = writeTempFile(content);
  UploadSlot slot;
  slot.putUrl = "http://127.0.0.1:" + std::to_string(server.port()) + "/upload/x/f.bin?t=1";
  slot.getUrl = "http://127.0.0.1/upload/x/f.bin";
  slot.putHeaders["authorization"] = "Bearer tok";
  std::optional<Expected<unsigned, std::string>> result;
  httpPutFile(io, slot, file, "application/octet-stream", {}, std::chrono::seconds(10),
              [&](Expected<unsigned, std::string> r) { result = std::move(r); });
  io.run_for(std::chrono::seconds(10));
  std::filesystem::remove(file);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->has_value()) << result->error();
  EXPECT_EQ(**result, 201u);
  EXPECT_TRUE(server.request.starts_with("PUT /upload/x/f.bin?t=1 HTTP/1.1\r\n")) << server.request;
  EXPECT_NE(server.request.find("Authorization: Bearer tok\r\n"), std::string::npos);
  EXPECT_NE(server.request.find("Content-Type: application/octet-stream\r\n"), std::string::npos);
  EXPECT_EQ(server.request.substr(server.request.find("\r\n\r\n") + 4), content);
}

TEST(ClientUpload, PutReportsHttpErrorsAndMissingFiles) {
  boost::asio::io_context io;
  OneShotHttp server(io);
  server.serve("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!");
  const auto file = writeTempFile("hello");
  UploadSlot slot;
  slot.putUrl = "http://127.0.0.1:" + std::to_string(server.port()) + "/u";
  std::optional<Expected<unsigned, std::string>> result, missing;
  httpPutFile(io, slot, file, "text/plain", {}, std::chrono::seconds(10),
              [&](Expected<unsigned, std::string> r) { result = std::move(r); });
  httpPutFile(io, slot, file.string() + ".does-not-exist", "text/plain", {},
              std::chrono::seconds(10),
              [&](Expected<unsigned, std::string> r) { missing = std::move(r); });
  io.run_for(std::chrono::seconds(10));
  std::filesystem::remove(file);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->has_value());
  EXPECT_NE(result->error().find("413"), std::string::npos) << result->error();
  EXPECT_NE(result->error().find("too big!"), std::string::npos) << result->error();
  ASSERT_TRUE(missing.has_value());
  ASSERT_FALSE(missing->has_value());
  EXPECT_NE(missing->error().find("cannot read"), std::string::npos) << missing->error();
}

}  // namespace
}  // namespace telex::client
