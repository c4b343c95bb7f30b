using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ReNoise.Jobs.Distributed;

/// <summary>MassTransit on RabbitMQ as both roles use it: the host from <see cref="BrokerOptions"/>, checked at start-up.</summary>
public static class BrokerSetup
{
    /// <summary>
    /// Registers <see cref="BrokerOptions"/> (validated on start) and MassTransit on RabbitMQ. MassTransit keeps
    /// reconnecting with back-off while the broker is away, and registers its own health check (tag "masstransit").
    /// </summary>
    public static IServiceCollection AddReNoiseBroker(this IServiceCollection services, IConfiguration configuration,
        Action<IBusRegistrationConfigurator> register, Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator> configure)
    {
        services.AddOptions<BrokerOptions>().Bind(configuration.GetSection(BrokerOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>();
        services.AddMassTransit(x =>
        {
            register(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                var broker = context.GetRequiredService<IOptions<BrokerOptions>>().Value;
                cfg.Host(broker.Host, (ushort)broker.Port, broker.VirtualHost, h =>
                {
                    h.Username(broker.Username);
                    h.Password(broker.Password);
                });
                configure(context, cfg);
            });
        });
        return services;
    }
}
