using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ReNoise.Web.Endpoints;

namespace ReNoise.Web.Tests.Integration;

/// <summary>The job HTTP API (what the cluster's smoke test drives): the studio's admission behind the session cookie.</summary>
public sealed class JobApiTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    private static MultipartFormDataContent Form(byte[] photo, string prompt)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(photo);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "photo", "astronaut.png");
        form.Add(new StringContent(prompt), "prompt");
        return form;
    }

    [Fact]
    public async Task A_job_submitted_over_http_runs_and_its_events_end_with_the_result_in_the_gallery()
    {
        var (client, _) = await factory.NewBrowserAsync();
        client.DefaultRequestHeaders.Add(JobApiEndpoints.Header, "1");

        using var response = await client.PostAsync("/api/jobs", Form(TestImages.Astronaut(), "a photo of an astronaut"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Guid id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        // The events end with the final state.
        string events = await client.GetStringAsync($"/api/jobs/{id}/events");
        var states = events.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[5..]).RootElement).ToList();
        Assert.NotEmpty(states);
        var last = states[^1];
        Assert.Equal("Done", last.GetProperty("status").GetString());
        Guid inversion = last.GetProperty("inversionId").GetGuid();

        using var state = JsonDocument.Parse(await client.GetStringAsync($"/api/jobs/{id}"));
        Assert.Equal(("Done", 40, 1), (state.RootElement.GetProperty("status").GetString(), state.RootElement.GetProperty("nfe").GetInt32(),
            state.RootElement.GetProperty("attempts").GetInt32()));
        using var gallery = JsonDocument.Parse(await client.GetStringAsync("/api/gallery"));
        Assert.Equal(inversion, Assert.Single(gallery.RootElement.EnumerateArray()).GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task The_api_refuses_what_the_studio_form_refuses_and_needs_a_session_and_its_header()
    {
        var (client, owner) = await factory.NewBrowserAsync();

        using (var noHeader = await client.PostAsync("/api/jobs", Form(TestImages.Astronaut(), "a photo")))
            Assert.Equal(HttpStatusCode.BadRequest, noHeader.StatusCode);
        client.DefaultRequestHeaders.Add(JobApiEndpoints.Header, "1");

        using (var emptyPrompt = await client.PostAsync("/api/jobs", Form(TestImages.Astronaut(), " ")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, emptyPrompt.StatusCode);
            Assert.Contains("The source prompt is empty", await emptyPrompt.Content.ReadAsStringAsync());
        }
        using (var notAnImage = await client.PostAsync("/api/jobs", Form(TestImages.Text(), "a photo")))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, notAnImage.StatusCode);
        using (var form = Form(TestImages.Astronaut(), "a photo"))
        {
            form.Add(new StringContent("""{"inversionSteps":100,"renoiseSteps":9}"""), "parameters");
            using var overBudget = await client.PostAsync("/api/jobs", form);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, overBudget.StatusCode);
            Assert.Contains("the limit is 400 per job", await overBudget.Content.ReadAsStringAsync());
        }
        Assert.Empty(await factory.WithStoreAsync(s => s.ListActiveJobsAsync(owner)));

        // Without a session (no cookie): nothing, and no session is created.
        using var stranger = factory.CreateClient();
        stranger.DefaultRequestHeaders.Add(JobApiEndpoints.Header, "1");
        using (var anonymous = await stranger.PostAsync("/api/jobs", Form(TestImages.Astronaut(), "a photo")))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var otherJob = await client.GetAsync($"/api/jobs/{Guid.NewGuid()}"))
            Assert.Equal(HttpStatusCode.NotFound, otherJob.StatusCode);
    }
}
