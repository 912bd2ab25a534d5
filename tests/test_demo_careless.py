"""The careless demo page: Yandex.Metrica pasted outside the gate, for the scanner to catch."""


def test_careless_page_pastes_the_counter_and_allows_its_hosts(client, samples):
    response = client.get("/demo/familami/careless")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'src="/static/demo/pasted-metrica.js" data-counter="12345678"' in page
    assert 'src="http://localhost/c/familami.js" async' in page
    policy = response.headers["Content-Security-Policy"]
    assert "https://mc.yandex.ru" in policy.split("script-src", 1)[1].split(";")[0]


def test_careless_page_of_a_site_without_metrica_uses_a_placeholder_counter(client, samples):
    response = client.get("/demo/oomnis/careless")
    assert response.status_code == 200
    assert 'data-counter="10000001"' in response.get_data(as_text=True)
    assert "https://mc.yandex.ru" in response.headers["Content-Security-Policy"]


def test_careless_page_of_an_unknown_site_is_404(client, samples):
    assert client.get("/demo/nosuch/careless").status_code == 404
