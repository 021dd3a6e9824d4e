# NeruTalk server messages: Indonesian.
# Translated from locales/en/nerutalk.ftl; every id there must exist here too, and `cargo test` checks it.

## Replies to successful requests

notice-welcome = Selamat datang di NeruTalk. Dokumentasi API tersedia di /docs.
notice-health-live = NeruTalk sedang berjalan.
notice-health-ready = NeruTalk siap melayani permintaan.
notice-registered = Akun Anda berhasil dibuat. Periksa email Anda untuk memverifikasi alamat email.
notice-logged-in = Anda berhasil masuk.
notice-token-refreshed = Sesi Anda telah diperbarui.
notice-logged-out = Anda telah keluar.
notice-profile = Berikut profil Anda.
notice-profile-updated = Profil Anda telah diperbarui.
notice-password-changed = Kata sandi Anda telah diubah. Anda telah dikeluarkan dari semua sesi lainnya.
notice-email-verified = Alamat email Anda telah diverifikasi.
notice-verification-sent = Email verifikasi baru telah dikirim.
notice-user-profile = Berikut profil pengguna tersebut.
notice-users-found = { $count ->
    [0] Tidak ada pengguna yang cocok dengan pencarian Anda.
   *[other] Ditemukan { $count } pengguna.
}
notice-languages = Berikut bahasa yang didukung.
notice-language-current = Ini adalah bahasa yang digunakan dalam balasan ini.
notice-language-updated = Preferensi bahasa Anda telah disimpan.
notice-chat-created = Obrolan berhasil dibuat.
notice-chat-existing = Anda sudah memiliki obrolan dengan orang ini; berikut obrolannya.
notice-chats = Berikut daftar obrolan Anda.
notice-chat = Berikut obrolan tersebut.
notice-chat-updated = Obrolan telah diperbarui.
notice-participants-added = Anggota berhasil ditambahkan.
notice-participant-removed = Anggota telah dikeluarkan dari obrolan.
notice-message-sent = Pesan Anda telah terkirim.
notice-message-duplicate = Pesan ini sudah pernah dikirim; berikut pesan aslinya.
notice-messages = Berikut daftar pesannya.
notice-message-updated = Pesan telah diedit.
notice-message-deleted = Pesan telah dihapus.
notice-messages-read = Pesan telah ditandai sudah dibaca.
notice-user-blocked = Pengguna telah diblokir.
notice-user-unblocked = Blokir pengguna telah dibuka.
notice-blocked-users = Berikut pengguna yang Anda blokir.

## E-mail

mail-verification-subject = Verifikasi alamat email NeruTalk Anda
mail-verification-greeting = Halo { $username },
mail-verification-intro = Terima kasih telah bergabung dengan NeruTalk. Untuk memverifikasi alamat email Anda, buka tautan ini:
mail-verification-button = Verifikasi alamat email saya
mail-verification-code = Atau masukkan kode ini di aplikasi:
mail-verification-expiry = Tautan dan kode ini akan kedaluwarsa dalam { $hours } jam. Jika Anda tidak merasa membuat akun ini, abaikan saja email ini.

## Validation errors

error-validation-email-invalid = Masukkan alamat email yang valid.
error-validation-email-too-long = Alamat email maksimal { $max } karakter.
error-validation-username-length = Nama pengguna harus terdiri dari { $min } hingga { $max } karakter.
error-validation-username-charset = Nama pengguna hanya boleh berisi huruf Latin (A–Z), angka, garis bawah, titik, dan tanda hubung, serta harus diawali dengan huruf atau angka.
error-validation-control-characters = Teks ini berisi karakter kontrol (seperti NUL) yang tidak diizinkan di sini.
error-validation-invisible-characters = Nama ini berisi karakter tak terlihat atau kontrol arah teks, yang tidak diizinkan.
error-validation-password-too-short = Kata sandi minimal { $min } karakter.
error-validation-password-too-long = Kata sandi maksimal { $max } karakter.
error-validation-password-too-weak = Kata sandi harus berisi huruf kecil, huruf besar, dan angka.
error-validation-password-mismatch = Konfirmasi kata sandi tidak cocok dengan kata sandi.
error-validation-full-name-too-long = Nama lengkap maksimal { $max } karakter.
error-validation-bio-too-long = Bio maksimal { $max } karakter.
error-validation-search-query-too-long = Teks pencarian maksimal { $max } karakter.
error-validation-phone-invalid = Masukkan nomor telepon yang valid, misalnya +14155550123.
error-validation-avatar-url-invalid = Avatar harus berupa URL http atau https yang valid.
error-validation-language-unsupported = Bahasa ini tidak didukung. Pilih salah satu dari en, id, ja, ko, atau zh.
error-validation-chat-name-length = Nama obrolan harus terdiri dari { $min } hingga { $max } karakter.
error-validation-chat-description-too-long = Deskripsi obrolan maksimal { $max } karakter.
error-validation-direct-chat-members = Obrolan pribadi harus memiliki tepat satu orang lain.
error-validation-group-too-large = Grup maksimal berisi { $max } anggota.
error-validation-message-empty = Pesan tidak boleh kosong.
error-validation-message-too-long = Pesan maksimal { $max } karakter.
error-validation-message-media-missing = Jenis pesan ini memerlukan URL media http atau https yang valid.
error-validation-message-kind-not-allowed = Jenis pesan ini tidak dapat dikirim oleh aplikasi.
error-validation-client-message-id-invalid = ID pesan klien harus terdiri dari 1 hingga { $max } karakter.

## Authentication errors

error-auth-invalid-credentials = Email/nama pengguna atau kata sandi salah.
error-auth-account-disabled = Akun ini telah dinonaktifkan.
error-auth-token-missing = Silakan masuk untuk melanjutkan.
error-auth-token-invalid = Token akses Anda tidak valid. Silakan masuk kembali.
error-auth-token-expired = Token akses Anda telah kedaluwarsa. Perbarui token atau masuk kembali.
error-auth-session-revoked = Sesi ini telah berakhir. Silakan masuk kembali.
error-auth-refresh-token-invalid = Token penyegaran tidak valid atau telah kedaluwarsa. Silakan masuk kembali.
error-auth-refresh-token-reused = Token penyegaran ini sudah pernah digunakan, jadi sesi diakhiri demi keamanan Anda. Silakan masuk kembali.
error-auth-current-password-wrong = Kata sandi saat ini salah.
error-auth-password-unchanged = Kata sandi baru harus berbeda dari kata sandi saat ini.
error-auth-email-taken = Alamat email ini sudah terdaftar.
error-auth-username-taken = Nama pengguna ini sudah dipakai.
error-auth-verification-token-invalid = Kode verifikasi ini tidak valid.
error-auth-verification-token-expired = Kode verifikasi ini telah kedaluwarsa. Silakan minta kode baru.
error-auth-verification-token-used = Kode verifikasi ini sudah digunakan.
error-auth-already-verified = Alamat email Anda sudah diverifikasi.

## Other errors

error-user-not-found = Pengguna tidak ditemukan.
error-user-cannot-block-self = Anda tidak dapat memblokir diri sendiri.
error-chat-not-found = Obrolan tidak ditemukan.
error-chat-not-admin = Hanya pemilik atau admin obrolan yang dapat melakukan ini.
error-chat-direct-chat-fixed = Obrolan pribadi tidak dapat diganti namanya, dan anggotanya tidak dapat ditambah atau dikeluarkan.
error-chat-blocked = Anda tidak dapat mengirim pesan kepada orang ini.
error-chat-member-blocked = Salah satu orang yang Anda pilih tidak dapat ditambahkan ke obrolan ini.
error-chat-cannot-remove-owner = Pemilik grup tidak dapat dikeluarkan.
error-chat-message-not-found = Pesan tidak ditemukan.
error-chat-not-message-author = Hanya pengirim yang dapat mengedit pesan ini.
error-chat-message-not-editable = Hanya pesan teks yang belum dihapus yang dapat diedit.
error-rate-limited = Terlalu banyak percobaan. Silakan coba lagi dalam { $seconds } detik.
error-auth-busy = Terlalu banyak proses masuk yang sedang diperiksa saat ini. Silakan coba lagi sebentar lagi.
error-common-unavailable = Layanan untuk sementara tidak tersedia. Silakan coba lagi beberapa saat lagi.
error-common-internal = Terjadi kesalahan di sistem kami. Silakan coba lagi nanti.

## Request errors

error-request-malformed-json = Isi permintaan bukan JSON yang valid atau tidak memiliki kolom yang diharapkan.
error-request-invalid-query = Ada parameter yang kurang atau tidak valid pada query string.
error-request-invalid-path = Alamat berisi nilai yang tidak valid, misalnya ID yang formatnya salah.
error-request-unsupported-media-type = Jenis konten ini tidak didukung. Kirim dengan application/json.
error-request-payload-too-large = Isi permintaan terlalu besar. Batasnya { $limit } byte.
error-request-route-not-found = Tidak ada apa pun di alamat ini.
error-request-method-not-allowed = Metode ini tidak diizinkan di alamat ini.

## WebSocket errors

error-ws-malformed-frame = Frame bukan JSON yang valid dengan format {"{"}"type", "data", "id"{"}"}, atau ada kolom yang kurang pada data-nya.
error-ws-malformed-field = Kolom “{ $field }” pada frame ini tidak ada atau jenisnya salah.
error-ws-unknown-frame = Jenis frame ini tidak dikenal.
error-ws-too-many-sockets = Terlalu banyak koneksi yang terbuka sekaligus (batasnya { $limit }). Tutup salah satu lalu coba lagi.
ws-close-too-slow = Koneksi tidak dapat mengikuti peristiwa yang masuk. Sambungkan kembali lalu lanjutkan.
ws-close-server-shutdown = Server sedang dimulai ulang. Sambungkan kembali sebentar lagi lalu lanjutkan.
ws-close-heartbeat-timeout = Detak jantung koneksi tidak diterima tepat waktu.
ws-close-frame-too-large = Ukuran frame melebihi batas yang diizinkan.
ws-close-invalid-utf8 = Frame teks bukan UTF-8 yang valid.
ws-close-protocol-error = Frame melanggar protokol WebSocket.
ws-close-flooding = Terlalu banyak frame dikirim terlalu cepat, bahkan setelah diminta untuk memperlambat.
